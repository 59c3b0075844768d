#pragma once
// Loads the kino_spm module (spm_shim.h) once per process with RTLD_DEEPBIND and hands out its
// functions. Where it is looked for: $KINO_SPM_MODULE, the path the build put it at, then
// libkino_spm.so beside the executable.
#include <string>
#include <vector>

namespace kino::gen {

struct SpmLibrary {
  void* (*load)(const char*, size_t, std::string*);
  void (*free)(void*);
  bool (*encode)(const void*, const char*, size_t, std::vector<int>*, std::string*);
  int (*eos_id)(const void*);
  int (*piece_size)(const void*);
};

// Error(unavailable) naming the paths tried when the module cannot be loaded. Thread-safe.
const SpmLibrary& spm_library();

}  // namespace kino::gen
