// The generation engine's benchmark, run by `make bench` (bench/run prints the comparison):
//   kino_gen_bench matmul              the machine's bf16 matrix-multiply peak (GFLOP/s)
//   kino_gen_bench dit [STEPS]         seconds per denoising step of the Wan2.1 1.3B DiT shape
//                                      (random bf16 weights) at 128 and 768 tokens, CFG off/on
//   kino_gen_bench vae FRAMES W H      Wan2.1 VAE decode time and peak memory (random weights)
// Each prints `key=value` lines. Every case runs in its own process so peak RSS is its own.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "gen/pipeline_options.h"
#include "gen/wan_config.h"
#include "gen/wan_dit.h"
#include "gen/wan_vae.h"
#include "gen/weight_set.h"

namespace {

using Clock = std::chrono::steady_clock;
using kino::gen::WanDitConfig;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds of the whole process (all threads): the steadier figure on a busy machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

int64_t peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return int64_t(u.ru_maxrss);
}

// Random weights for every tensor a shape map names, in `dtype`, scaled so activations stay in
// a sane range (timing on denormals or infinities would mean nothing).
kino::gen::WeightSet random_weights(const kino::gen::ShapeMap& shapes, at::ScalarType dtype) {
  std::map<std::string, at::Tensor> tensors;
  at::manual_seed(1234);
  for (const auto& [name, shape] : shapes) {
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype));
    const bool norm =
        name.find("norm") != std::string::npos || name.find("gamma") != std::string::npos;
    if (norm)
      t.uniform_(0.9, 1.1);
    else
      t.uniform_(-0.035, 0.035);  // std 0.02
    tensors[name] = t;
  }
  return kino::gen::WeightSet::from_tensors(tensors);
}

WanDitConfig wan21_1_3b() {
  WanDitConfig c;
  c.dim = 1536;
  c.ffn_dim = 8960;
  c.num_heads = 12;
  c.num_layers = 30;
  c.in_dim = 16;
  c.out_dim = 16;
  return c;
}

// FLOPs of one DiT forward over L tokens (spec §7.2, multiply-add = 2). `with_text_kv` adds the
// cross-attention key/value projections of the 512 context rows, which kino computes once per
// prompt (WanDitText), not per step.
double dit_flops(const WanDitConfig& c, double L, bool with_text_kv) {
  const double d = double(c.dim), f = double(c.ffn_dim), T = double(c.text_len);
  double per_block = 8 * L * d * d + 4 * L * L * d + 4 * L * d * d + 4 * L * T * d + 4 * L * d * f;
  if (with_text_kv) per_block += 4 * T * d * d;
  return per_block * double(c.num_layers);
}

struct Rate {
  double wall = 0, cpu = 0;  // GFLOP/s by wall-clock and by process CPU time
};

// Best of `reps` runs of a bf16 [m, k] x [k, n] matmul.
Rate time_matmul(int64_t m, int64_t k, int64_t n, int reps) {
  at::Tensor a = at::randn({m, k}).to(at::kBFloat16);
  at::Tensor b = at::randn({k, n}).to(at::kBFloat16);
  at::matmul(a, b);  // warm-up
  double best_wall = 1e30, best_cpu = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    at::Tensor c = at::matmul(a, b);
    best_wall = std::min(best_wall, seconds_since(t0));
    best_cpu = std::min(best_cpu, cpu_seconds() - c0);
  }
  const double flop = 2.0 * double(m) * double(k) * double(n);
  return {flop / best_wall / 1e9, flop / best_cpu / 1e9};
}

int run_matmul() {
  struct Shape {
    int64_t m, k, n;
  };
  Rate peak;
  for (Shape s : {Shape{2048, 2048, 2048}, Shape{4096, 4096, 4096}, Shape{3072, 1536, 8960},
                  Shape{768, 1536, 1536}, Shape{768, 1536, 8960}, Shape{128, 1536, 8960}}) {
    const Rate r = time_matmul(s.m, s.k, s.n, 3);
    std::printf("matmul m=%lld k=%lld n=%lld gflops=%.1f cpu_gflops=%.1f\n", (long long)s.m,
                (long long)s.k, (long long)s.n, r.wall, r.cpu);
    if (s.m >= 2048) {
      peak.wall = std::max(peak.wall, r.wall);
      peak.cpu = std::max(peak.cpu, r.cpu);
    }
  }
  std::printf("matmul_peak gflops=%.1f cpu_gflops=%.1f threads=%d\n", peak.wall, peak.cpu,
              at::get_num_threads());
  return 0;
}

int run_dit(int steps) {
  const WanDitConfig cfg = wan21_1_3b();
  auto t0 = Clock::now();
  kino::gen::WanDitOptions options;  // bf16 on CPU, the default
  std::unique_ptr<kino::gen::WanDit> dit;
  {
    kino::gen::WeightSet weights =
        random_weights(kino::gen::wan_dit_expected_shapes(cfg), at::kBFloat16);
    dit = std::make_unique<kino::gen::WanDit>(cfg, weights, options);
  }
  std::printf("dit_setup seconds=%.1f\n", seconds_since(t0));
  at::NoGradGuard no_grad;
  at::manual_seed(7);
  const at::Tensor context = at::randn({1, 200, cfg.text_dim}) * 0.1;
  const kino::gen::WanDitText cond = dit->encode_text(context);
  const kino::gen::WanDitText uncond = dit->encode_text(context * 0.5);

  struct Case {
    int64_t frames, height, width;
  };
  for (Case c : {Case{5, 128, 128}, Case{9, 256, 256}}) {
    const int64_t T = (c.frames - 1) / 4 + 1, h = c.height / 8, w = c.width / 8;
    const int64_t tokens = T * (h / 2) * (w / 2);
    const at::Tensor x = at::randn({1, cfg.in_dim, T, h, w});
    const at::Tensor t = at::full({1}, 900.0);
    dit->forward(x, t, cond);  // warm-up (allocator, oneDNN primitives)
    for (bool use_cfg : {false, true}) {
      const int n = tokens > 256 ? std::max(1, steps / 2) : steps;
      const auto s0 = Clock::now();
      const double c0 = cpu_seconds();
      for (int i = 0; i < n; ++i) {
        at::Tensor v = dit->forward(x, t, cond);
        if (use_cfg) {
          at::Tensor u = dit->forward(x, t, uncond);
          v = u + 5.0 * (v - u);
        }
      }
      const double per_step = seconds_since(s0) / n;
      const double cpu_per_step = (cpu_seconds() - c0) / n;
      const int forwards = use_cfg ? 2 : 1;
      const double exec = dit_flops(cfg, double(tokens), false) * forwards;
      const double spec = dit_flops(cfg, double(tokens), true) * forwards;
      std::printf(
          "dit frames=%lld width=%lld height=%lld tokens=%lld cfg=%d steps=%d s_per_step=%.3f "
          "cpu_s_per_step=%.3f gflop_per_step=%.1f gflops=%.1f cpu_gflops=%.1f "
          "spec_gflops=%.1f\n",
          (long long)c.frames, (long long)c.width, (long long)c.height, (long long)tokens,
          use_cfg ? 1 : 0, n, per_step, cpu_per_step, exec / 1e9, exec / per_step / 1e9,
          exec / cpu_per_step / 1e9, spec / per_step / 1e9);
      std::fflush(stdout);
    }
  }
  std::printf("dit_peak peak_rss_kib=%lld\n", (long long)peak_rss_kib());
  return 0;
}

int run_vae(int64_t frames, int64_t width, int64_t height) {
  const kino::gen::WanVaeConfig cfg = kino::gen::wan21_vae_config();
  kino::gen::WanVaeOptions options;  // bf16 on CPU, tiling automatic
  // KINO_BENCH_VAE_TILING=on|off|automatic and KINO_BENCH_VAE_TILE=<pixels> compare tilings.
  if (const char* t = std::getenv("KINO_BENCH_VAE_TILING"); t && *t) {
    auto tiling = kino::gen::wan_vae_tiling_parse(t);
    if (!tiling) kino::fail_bad_request("KINO_BENCH_VAE_TILING must be on, off or automatic");
    options.tiling = *tiling;
  }
  if (const char* t = std::getenv("KINO_BENCH_VAE_TILE"); t && std::atoll(t) > 0)
    options.tile_size = std::atoll(t);
  std::unique_ptr<kino::gen::WanVae> vae;
  {
    kino::gen::WeightSet weights =
        random_weights(kino::gen::wan_vae_expected_shapes(cfg), at::kBFloat16);
    vae = std::make_unique<kino::gen::WanVae>(cfg, weights, options);
  }
  const int64_t rss_weights = peak_rss_kib();
  at::NoGradGuard no_grad;
  at::manual_seed(7);
  const int64_t T = (frames - 1) / 4 + 1;
  const at::Tensor z = at::randn({1, cfg.z_dim, T, height / 8, width / 8});
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  const at::Tensor video = vae->decode(z);
  const double secs = seconds_since(t0), cpu = cpu_seconds() - c0;
  std::printf(
      "vae frames=%lld width=%lld height=%lld out_frames=%lld seconds=%.2f cpu_seconds=%.2f "
      "peak_rss_kib=%lld setup_rss_kib=%lld tiling=%s tile=%lld\n",
      (long long)frames, (long long)width, (long long)height, (long long)video.size(2), secs, cpu,
      (long long)peak_rss_kib(), (long long)rss_weights,
      std::string(kino::gen::wan_vae_tiling_name(options.tiling)).c_str(),
      (long long)options.tile_size);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  // One thread per core, as kino generate runs, unless KINO_BENCH_THREADS says otherwise. On a
  // busy machine more OpenMP threads than free cores make every small op wait at a barrier:
  // compare CPU-time figures there, or run with KINO_BENCH_THREADS=1.
  const char* threads = std::getenv("KINO_BENCH_THREADS");
  kino::gen::set_compute_threads(threads ? std::atoi(threads) : 0);
  try {
    if (mode == "matmul") return run_matmul();
    if (mode == "dit") return run_dit(argc > 2 ? std::atoi(argv[2]) : 2);
    if (mode == "vae" && argc == 5)
      return run_vae(std::atoll(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]));
  } catch (const kino::Error& e) {
    std::fprintf(stderr, "kino_gen_bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: kino_gen_bench matmul | dit [STEPS] | vae FRAMES WIDTH HEIGHT\n");
  return 2;
}
