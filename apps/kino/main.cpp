#include <cstdio>
int main() { std::puts("kino"); return 0; }
