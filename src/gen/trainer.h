#pragma once
// `kino train`: trains kino-tiny with LibTorch autograd and AdamW through the same WanVae, WanDit
// and UMT5Encoder classes that run inference.
//   stage vae: the Wan2.1-style VAE on scene clips (L1 + L2 reconstruction and a small penalty
//              on the latent's magnitude, with noise added to the latent before decoding).
//   stage dit: the DiT and the umT5 encoder jointly (flow matching on VAE latents of the
//              scenes, first-frame conditioning the TI2V way, caption dropout for CFG).
// Every step's data and randomness derive from (seed, step), so a resumed run continues
// exactly as an uninterrupted one; the run folder holds checkpoint/ (a loadable model folder
// plus the optimizer state), log.csv (one row per step) and summary.txt (the loss curve).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/progress.h"
#include "gen/train_model.h"

namespace kino::gen {

enum class TrainStage { vae, dit };
std::string_view train_stage_name(TrainStage s);
std::optional<TrainStage> train_stage_parse(std::string_view name);

struct TrainOptions {
  TrainStage stage = TrainStage::dit;
  std::filesystem::path run_dir;  // created; resumed from when it holds a checkpoint
  // dit stage: a folder or file with the trained VAE (the vae stage's checkpoint).
  std::filesystem::path vae;
  // dit stage: spiece.model; empty: trained with spm_train into run_dir/tokenizer.
  std::filesystem::path tokenizer;
  TinyModelConfig model = tiny_model_config();
  uint64_t seed = 1;     // initialisation, data order, noise
  int64_t steps = 1000;  // the run stops when this many steps are done (resumed ones count)
  int64_t batch = 8;
  // Scenes the data cycles through (0: a fresh scene every time). Small values overfit a
  // fixed set, which tests and quick experiments use. In the dit stage the VAE latents of
  // these scenes are encoded once, before the first step (kept in run_dir/latents).
  int64_t scenes = 0;
  double lr = 3e-4;
  double weight_decay = 0.01;
  int64_t warmup = 100;  // linear learning-rate warm-up steps
  // From this step on the learning rate falls along a cosine to lr / 10 at `steps` (0: never).
  int64_t decay_from = 0;
  double clip_grad = 1.0;
  int64_t checkpoint_every = 200;
  // dit stage
  double caption_dropout = 0.1;  // probability of an empty caption (for CFG)
  double first_frame = 0.5;      // probability of a clean first latent frame with timestep 0
  // The shift of the training sigmas (0: the model's sampling shift). Flat backgrounds are
  // visible through the noise up to sigma ~0.95 (their colour is a mean over hundreds of latent
  // pixels), so the caption only matters above that: a higher shift trains there more often.
  double train_shift = 0;
  // Decay of an exponential moving average of the stage's weights (the DiT and text encoder, or
  // the VAE; 0: none; 0.999 averages over about the last thousand steps). The checkpoint's
  // model files then hold the average, which is what generation, evaluation and export use,
  // and the weights the optimizer steps go to checkpoint/weights.state. Sampled clips from a
  // constant learning rate follow the step-to-step noise of the weights; the average does not.
  double ema = 0;
  // The frozen VAE's encode dtype: bf16 is several times faster on CPUs with bf16 matrix units
  // and what inference decodes with.
  at::ScalarType vae_dtype = at::kBFloat16;
  // CPU threads, set process-wide for each phase (0: left as they are): n for the VAE's
  // convolutions, and for the dit stage's steps on cached latents, which are float32 matrix
  // products (unless bf16), set_matmul_threads(n).
  int threads = 0;
  // Run the stage's model (the VAE, or the DiT and text encoder) in bfloat16 under LibTorch's
  // CPU autocast while the weights, their gradients and AdamW stay float32: oneDNN's bf16
  // convolutions and matrix products on CPUs with bf16 matrix units are several times its
  // float32 ones. The dit stage then runs its matrix products on LibTorch's threads.
  bool bf16 = false;
  // vae stage
  // The first 4n + 1 frames of each clip (at most the clip's); by default the whole clip. The
  // causal VAE's chunks feed each other through their caches, so chunks it never trained on
  // drift: trained on 5 frames it reconstructed 5 at 20.9 dB and 17 at 11.1 dB; trained on 9
  // (one chunk whose cache holds two real frames) a held-out clip still fell from 22.9 dB in
  // frame 0 to 12.6 dB in frame 16, and 500 steps on all 17 frames levelled it.
  int64_t vae_frames = 17;
  double latent_penalty = 1e-3;  // weight of mean(z^2)
  double latent_noise = 0.05;    // std of the noise added to z before decoding
  // Train the decoder only: the latents (and so a DiT trained on them) stay valid while the
  // reconstruction improves.
  bool freeze_encoder = false;
  // A new vae run starts from this VAE (a checkpoint folder or its safetensors file) instead of
  // random weights; its decoder is widened to model.vae.decoder_base_dim when that is a whole
  // multiple of its own (tiny_widen_vae_decoder). Ignored when the run resumes.
  std::filesystem::path init_vae;
  // Loss weight of each clip's first frame relative to the others. Image-to-video keeps the
  // input image as latent frame 0, so the decoded frame 0 is what users compare with their
  // image; the causal decoder makes it from that latent frame alone (only the last temporal
  // tap of each conv sees it), so it can improve without costing the later frames much.
  double first_frame_weight = 1;
  // Extra loss weight on what stands out from its surroundings (the objects): in the vae stage
  // pixels that differ from a 17 x 17 blur of their frame, in the dit stage latent pixels that
  // differ from their 3 x 3 neighbourhood. 0 weighs everything alike.
  double object_weight = 0;
};

// Checks ranges (steps >= 0, batch 1..256, lr > 0, probabilities in [0, 1], ...):
// Error(bad_request) naming the option.
void train_options_validate(const TrainOptions& options);

struct TrainStepResult {
  int64_t step = 0;  // 1-based index of the step just done
  double loss = 0;
  double lr = 0;
  double seconds = 0;
};

class Trainer {
 public:
  // Starts from fresh parameters, or resumes from run_dir/checkpoint when it exists (its
  // trainer.json must agree with these options on stage, model and seed: else
  // Error(bad_request) naming the field).
  // dit stage with scenes > 0: encodes the latent cache first (progress stage "latents";
  // cancel is checked between blocks: Error(cancelled), the blocks done are kept).
  explicit Trainer(const TrainOptions& options, const ProgressFn& progress = {},
                   const CancelToken* cancel = nullptr);
  ~Trainer();

  int64_t steps_done() const;
  int64_t parameters() const;  // trainable
  const TinyModelConfig& model_config() const;

  // One optimizer step on the batch of step steps_done() + 1; appends to log.csv.
  TrainStepResult step();
  // The loss of step `step`'s batch under the current parameters (no update, no log).
  double loss_at(int64_t step) const;
  // vae stage: PSNR (dB, frames in [-1, 1] as 8-bit range) of the reconstruction of `clips`
  // held-out clips of the full clip length, no noise added. Other stages: Error(bad_request).
  double reconstruction_psnr(int64_t clips = 4) const;
  // Writes run_dir/checkpoint (through checkpoint.part, renamed) and summary.txt (with the
  // reconstruction PSNR for the vae stage).
  void save_checkpoint();
  // Writes a model folder of the current parameters (plus, for the dit stage, the VAE and the
  // tokenizer) in `dtype`.
  void write_model(const std::filesystem::path& dir, at::ScalarType dtype) const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

struct TrainReport {
  int64_t first_step = 0, last_step = 0;
  double first_loss = 0, last_loss = 0;  // means over the first and last 10 steps of this call
  double seconds_per_step = 0;
  std::filesystem::path checkpoint;
};

using TrainStepFn = std::function<void(const TrainStepResult&)>;

// Runs steps until options.steps are done, checkpointing every checkpoint_every steps and at
// the end. Progress stage "train" (done = steps done); on_step sees every step's loss; cancel:
// a checkpoint, then Error(cancelled).
TrainReport train_run(const TrainOptions& options, const ProgressFn& progress = {},
                      const CancelToken* cancel = nullptr, const TrainStepFn& on_step = {});

}  // namespace kino::gen
