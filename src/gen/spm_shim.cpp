#include "gen/spm_shim.h"

#include <sentencepiece_processor.h>

#include <memory>

extern "C" {

void* kino_spm_load(const char* data, size_t size, std::string* error) {
  try {
    auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
    auto status = sp->LoadFromSerializedProto(std::string_view(data, size));
    if (!status.ok()) {
      *error = status.ToString();
      return nullptr;
    }
    return sp.release();
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

void kino_spm_free(void* model) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(model);
}

bool kino_spm_encode(const void* model, const char* text, size_t size, std::vector<int>* ids,
                     std::string* error) {
  try {
    auto status = static_cast<const sentencepiece::SentencePieceProcessor*>(model)->Encode(
        std::string_view(text, size), ids);
    if (!status.ok()) *error = status.ToString();
    return status.ok();
  } catch (const std::exception& e) {
    *error = e.what();
    return false;
  }
}

int kino_spm_eos_id(const void* model) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model)->eos_id();
}

int kino_spm_piece_size(const void* model) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model)->GetPieceSize();
}
}
