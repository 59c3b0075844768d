#include "gen/flow_sampler.h"

#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"

namespace kino::gen {
namespace {

// lambda(sigma) = log(alpha) - log(sigma), alpha = 1 - sigma; +inf at sigma = 0.
double lambda_of(double sigma) {
  if (sigma <= 0) return std::numeric_limits<double>::infinity();
  return std::log(1.0 - sigma) - std::log(sigma);
}

}  // namespace

std::string_view sampler_kind_name(SamplerKind kind) {
  return kind == SamplerKind::euler ? "euler" : "unipc";
}

std::optional<SamplerKind> sampler_kind_parse(std::string_view name) {
  for (auto k : {SamplerKind::euler, SamplerKind::unipc})
    if (sampler_kind_name(k) == name) return k;
  return std::nullopt;
}

FlowSchedule flow_schedule(int64_t steps, double shift) {
  if (steps < 1 || steps > kFlowMaxSteps)
    fail_bad_request("steps must be in 1.." + std::to_string(kFlowMaxSteps) + ", got " +
                     std::to_string(steps));
  if (!(shift > 0 && shift <= kFlowMaxShift))
    fail_bad_request("shift must be in (0, " + std::to_string(int(kFlowMaxShift)) + "], got " +
                     std::to_string(shift));
  FlowSchedule s;
  const double top = 0.999;  // 1 - 1/1000: the training grid's largest sigma
  for (int64_t k = 0; k < steps; ++k) {
    // As numpy.linspace computes it, so timesteps truncate exactly as the reference's do.
    const double base = top + double(k) * ((0.0 - top) / double(steps));
    const double shifted = shift * base / (1.0 + (shift - 1.0) * base);
    s.timesteps.push_back(int64_t(shifted * 1000.0));
    s.sigmas.push_back(double(float(shifted)));
  }
  s.sigmas.push_back(0.0);
  return s;
}

FlowSampler::FlowSampler(SamplerKind kind, FlowSchedule schedule)
    : kind_(kind), schedule_(std::move(schedule)) {}

int64_t FlowSampler::timestep() const {
  return done() ? 0 : schedule_.timesteps[size_t(index_)];
}

double FlowSampler::sigma() const {
  return schedule_.sigmas[size_t(std::min(index_, steps()))];
}

at::Tensor FlowSampler::step(const at::Tensor& velocity, const at::Tensor& sample) {
  if (done()) fail(ErrorCode::internal, "flow sampler stepped past its last step");
  if (velocity.sizes() != sample.sizes())
    fail(ErrorCode::internal, "flow sampler: velocity and sample shapes differ");
  const at::Tensor v = velocity.to(at::kFloat), x = sample.to(at::kFloat);
  at::Tensor next;
  if (kind_ == SamplerKind::euler) {
    const double s = schedule_.sigmas[size_t(index_)],
                 s_next = schedule_.sigmas[size_t(index_) + 1];
    next = x + (s_next - s) * v;
  } else {
    next = unipc_step(v, x);
  }
  ++index_;
  return next;
}

// One UniPC step (spec §4.4): correct the current sample with the new x0 prediction (not at the
// first step), then predict the sample at the next sigma.
at::Tensor FlowSampler::unipc_step(const at::Tensor& v, const at::Tensor& sample) {
  const auto& sig = schedule_.sigmas;
  const size_t k = size_t(index_);
  const double s_k = sig[k];
  const at::Tensor m = sample - s_k * v;  // x0 prediction
  at::Tensor x = sample;

  if (k > 0 && last_sample_.defined()) {
    const double s_prev = sig[k - 1];
    const double h = lambda_of(s_k) - lambda_of(s_prev);
    const double hh = -h, phi1 = std::expm1(hh), B = std::expm1(hh);
    const at::Tensor& m_prev = x0_history_.back();
    const at::Tensor base = (s_k / s_prev) * last_sample_ - (1.0 - s_k) * phi1 * m_prev;
    if (last_order_ == 1) {
      x = base - (1.0 - s_k) * B * 0.5 * (m - m_prev);
    } else {
      const double r = (lambda_of(sig[k - 2]) - lambda_of(s_prev)) / h;
      const at::Tensor D = (x0_history_[x0_history_.size() - 2] - m_prev) / r;
      const double g1 = phi1 / hh - 1.0, b1 = g1 / B;
      const double g2 = g1 / hh - 0.5, b2 = 2.0 * g2 / B;
      // [[1, 1], [r, 1]] rho = [b1, b2]
      const double rho0 = (b1 - b2) / (1.0 - r), rho1 = b1 - rho0;
      x = base - (1.0 - s_k) * B * (rho0 * D + rho1 * (m - m_prev));
    }
  }

  x0_history_.push_back(m);
  if (x0_history_.size() > 2) x0_history_.erase(x0_history_.begin());
  const int64_t order = std::min<int64_t>({2, steps() - index_, int64_t(x0_history_.size())});
  last_order_ = order;
  last_sample_ = x;

  const double s_next = sig[k + 1];
  const double h = lambda_of(s_next) - lambda_of(s_k);
  const double hh = -h, phi1 = std::expm1(hh), B = std::expm1(hh);
  at::Tensor next = (s_next / s_k) * x - (1.0 - s_next) * phi1 * m;
  if (order == 2) {
    const double r = (lambda_of(sig[k - 1]) - lambda_of(s_k)) / h;
    next = next - (1.0 - s_next) * B * 0.5 * (x0_history_[0] - m) / r;
  }
  return next;
}

}  // namespace kino::gen
