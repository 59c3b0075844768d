#pragma once
// What kino-tiny's clips show, measured: generated clips are decoded and the object in them
// found with scenes::scene_measure_object (pixels that differ from the clip's median frame).
//   adherence: text-to-video on held-out colour x shape x motion prompts (combinations the model
//              never saw together); a case passes when the object's hue names the prompt's
//              colour and its centroid moves in the prompt's direction.
//   image:     image-to-video from the first frame of a held-out scene with its caption; also
//              the PSNR of the clip's first frame against the image.
//   reconstruction: the held-out scenes' own clips through the VAE (encode, decode) and the
//              same measure: what the VAE keeps of colour and motion bounds the other two.
// Used by `kino train eval`, the tests on the shipped weights and the benchmark.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/progress.h"
#include "gen/video_generator.h"
#include "scenes/scenes.h"

namespace kino::gen {

struct TinyEvalOptions {
  int64_t cases = 20;   // held-out scenes 0 .. cases-1 of the seed
  uint64_t seed = 1;    // the held-out scenes' seed; clip i is generated with seed + i
  int64_t steps = 0;    // 0: the model's default
  std::filesystem::path work_dir;  // clips (and images) are written here
};

struct TinyEvalCase {
  std::string prompt;
  scenes::Colour colour = scenes::Colour::red;
  scenes::Motion motion = scenes::Motion::still;
  bool found = false;      // an object was measured in at least two frames
  double hue = 0;          // degrees, circular mean over the frames
  double dx = 0, dy = 0;   // centroid movement, last frames minus first, frame units (y down)
  bool colour_ok = false;  // colour_nearest_hue(hue) == colour
  bool motion_ok = false;  // the larger movement is along the prompt's direction, > 5 %
  // Image cases: dB against the input image. Reconstruction cases: the decoded first frame
  // against the clip's, which bounds image-to-video's (latent frame 0 is the encoded image).
  double first_frame_psnr = 0;
  double clip_psnr = 0;         // reconstruction cases: mean over the frames, dB
  bool ok() const { return colour_ok && motion_ok; }
};

struct TinyEvalReport {
  std::vector<TinyEvalCase> cases;
  double seconds_per_clip = 0;
  int64_t passed() const;
  double score() const;  // passed / cases
};

TinyEvalReport tiny_eval_adherence(const VideoGenerator& generator, const TinyEvalOptions& options,
                                   const ProgressFn& progress = {});
TinyEvalReport tiny_eval_image(const VideoGenerator& generator, const TinyEvalOptions& options,
                               const ProgressFn& progress = {});

class WanVae;
// Held-out clips at `format` through the VAE; nothing is written. The VAE runs as it was loaded.
TinyEvalReport tiny_eval_reconstruction(const WanVae& vae, const scenes::ClipFormat& format,
                                        const TinyEvalOptions& options,
                                        const ProgressFn& progress = {});

// The decoded frames of a clip, as 8-bit RGB.
std::vector<scenes::RgbImage> tiny_eval_read_clip(const std::filesystem::path& file);

// PSNR in dB of two same-sized 8-bit RGB images (99 when identical).
double rgb_psnr(const scenes::RgbImage& a, const scenes::RgbImage& b);

}  // namespace kino::gen
