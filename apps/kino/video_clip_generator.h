#pragma once
// The server's generation jobs on the engine: gen::VideoGenerator behind the service's
// ClipGenerator seam. Built only with LibTorch (KINO_WITH_TORCH).
#include <memory>
#include <string>

#include "gen/video_generator.h"
#include "service/clip_generator.h"

namespace kino::cli {

// Clips are delivered at the request's resolution tier (service::generation_output_size)
// from the model's native size, scaled with Lanczos.
std::unique_ptr<service::ClipGenerator> video_clip_generator(
    std::unique_ptr<gen::VideoGenerator> generator, int64_t steps = 0);

// Loads the model a server or worker runs generation jobs with: `model` when given, else
// the first installed catalog model, else the built-in kino-tiny (gen::model_to_use), else
// none (nullptr).
// `dtype` is bf16, f32 or f16; `device` cpu or cuda[:N]; `steps` the denoising steps of every
// job (0: the model's default; fewer trade quality for speed on CPU servers). Bad values:
// Error(bad_request).
std::unique_ptr<service::ClipGenerator> load_clip_generator(const std::string& model,
                                                            const std::string& dtype,
                                                            const std::string& device,
                                                            int64_t steps = 0);

}  // namespace kino::cli
