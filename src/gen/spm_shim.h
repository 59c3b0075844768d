#pragma once
// The C interface of kino_spm, a small module that wraps libsentencepiece. Debian's
// libsentencepiece exports its own bundled protobuf-lite (3.14) under the same symbol names as
// the libprotobuf (3.21) LibTorch loads, so the two cannot share one symbol lookup scope: whichever
// loads first breaks the other. kino therefore loads this module with dlopen(RTLD_DEEPBIND), which
// lets sentencepiece bind to its own copies while LibTorch keeps libprotobuf's.
// All functions are noexcept; errors come back as text in `error`. Under RTLD_DEEPBIND the module
// must not write to std::cout/std::cerr (the executable's copies are not the ones it would bind
// to), which is why sentencepiece's trainer, which logs there, is not offered.
#include <cstddef>
#include <string>
#include <vector>

extern "C" {

// A loaded model, or nullptr with `error` set.
void* kino_spm_load(const char* data, size_t size, std::string* error);
void kino_spm_free(void* model);
// Pieces of `text` as ids; false with `error` set on failure.
bool kino_spm_encode(const void* model, const char* text, size_t size, std::vector<int>* ids,
                     std::string* error);
int kino_spm_eos_id(const void* model);
int kino_spm_piece_size(const void* model);
}
