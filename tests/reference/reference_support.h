#pragma once
// Helpers of the reference tests: run `kino models ...` in-process through the real command
// line code, and run a reference script with Debian's python3-torch.
#include <string>
#include <vector>

namespace kino::gen::testing {

// Parses and runs `kino models <args...>`; errors propagate as exceptions.
void kino_models(const std::vector<std::string>& args);

// Runs tests/reference/<script> with `args`; returns its exit status.
int run_reference_script(const std::string& script, const std::string& args);

}  // namespace kino::gen::testing
