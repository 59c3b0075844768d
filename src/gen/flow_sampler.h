#pragma once
// Flow-matching sampling (spec §4): the shifted sigma schedule and the solvers that integrate
// dx/dsigma = v from sigma ~ 1 to 0 (Euler, and UniPC as the Wan reference runs it: order 2,
// predict-x0, bh2, lower order at the final step). A FlowSampler is one run's solver state.
#include <ATen/ATen.h>

#include <optional>
#include <string_view>
#include <vector>

namespace kino::gen {

enum class SamplerKind { euler, unipc };

std::string_view sampler_kind_name(SamplerKind kind);  // "euler", "unipc"
std::optional<SamplerKind> sampler_kind_parse(std::string_view name);

// Limits of a schedule.
inline constexpr int64_t kFlowMaxSteps = 1000;
inline constexpr double kFlowMaxShift = 100.0;

struct FlowSchedule {
  // steps + 1 noise levels, decreasing, the last 0; rounded to float32 as the reference keeps them.
  std::vector<double> sigmas;
  // steps model timesteps, int(1000 * sigma) truncated from the unrounded shifted sigma.
  std::vector<int64_t> timesteps;
};

// sigma_k = shift(linspace(0.999, 0, steps + 1)[k]) for k < steps, then 0; shift(s) =
// shift * s / (1 + (shift - 1) * s). steps outside 1..1000 or shift outside (0, 100]:
// Error(bad_request) naming the value.
FlowSchedule flow_schedule(int64_t steps, double shift);

class FlowSampler {
 public:
  FlowSampler(SamplerKind kind, FlowSchedule schedule);

  SamplerKind kind() const { return kind_; }
  const FlowSchedule& schedule() const { return schedule_; }
  int64_t steps() const { return int64_t(schedule_.timesteps.size()); }
  int64_t step_index() const { return index_; }
  bool done() const { return index_ >= steps(); }
  // The model timestep and noise level of the current step.
  int64_t timestep() const;
  double sigma() const;

  // Given the velocity the model predicted for `sample` at the current step, returns the sample
  // at the next noise level (float32) and advances. Calling it after the last step is a
  // programming error (Error(internal)).
  at::Tensor step(const at::Tensor& velocity, const at::Tensor& sample);

 private:
  at::Tensor unipc_step(const at::Tensor& v, const at::Tensor& x);

  SamplerKind kind_;
  FlowSchedule schedule_;
  int64_t index_ = 0;
  // UniPC history: x0 predictions of the last two steps (newest last), the sample the last
  // predictor started from, and the order that predictor used.
  std::vector<at::Tensor> x0_history_;
  at::Tensor last_sample_;
  int64_t last_order_ = 0;
};

}  // namespace kino::gen
