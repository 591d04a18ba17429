#include "sim/quant/compiler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "modules/arith/elp_bsd_format.h"
#include "modules/arith/range_stat.h"
#include "modules/base/error.h"
#include "modules/layers/layer_kind.h"
#include "sim/common/parallel.h"
#include "sim/design/mac_factory.h"
#include "sim/reference/inference.h"
#include "sim/reference/reference_ops.h"

namespace conloc {

namespace {

// Correlation used for error feedback when no activations are simulated (--timing-only).
constexpr double kTimingOnlyCorrelation = 0.9;

bool uses_feedback(Compensation c) {
  return c == Compensation::ErrorFeedback || c == Compensation::Both;
}
bool uses_constant(Compensation c) {
  return c == Compensation::OutputConstant || c == Compensation::Both;
}

}  // namespace

// Regression coefficient of an activation on its right (or lower) neighbour, uncentred:
// rho = E[x_s x_(s+1)] / E[x_(s+1)^2]. It minimises E[(x_s - rho x_(s+1))^2], the residual that
// error feedback leaves (docs/compensation.md). Means and moments are pooled over all tensors.
NeighbourStats neighbour_stats(const std::vector<const IntTensor*>& ts) {
  NeighbourStats out;
  if (ts.empty()) return out;
  const TensorShape& s = ts.front()->shape;
  const std::size_t c = static_cast<std::size_t>(s.c);
  // Exact integer sums (8-bit activations: far below 2^63), channel innermost so they vectorise.
  std::vector<std::int64_t> sum(c, 0);
  std::int64_t xy = 0, yy = 0, vxy = 0, vyy = 0;
  for (const IntTensor* t : ts) {
    const std::int16_t* d = t->data.data();
    for (int y = 0; y < s.h; ++y) {
      for (int x = 0; x < s.w; ++x) {
        const std::int16_t* p = d + (std::int64_t{y} * s.w + x) * s.c;
        for (std::size_t ch = 0; ch < c; ++ch)
          sum[ch] += p[ch];
        if (x + 1 < s.w) {
          const std::int16_t* r = p + s.c;
          for (std::size_t ch = 0; ch < c; ++ch) {
            xy += std::int32_t{p[ch]} * r[ch];
            yy += std::int32_t{r[ch]} * r[ch];
          }
        }
        if (y + 1 < s.h) {
          const std::int16_t* b = p + std::int64_t{s.w} * s.c;
          for (std::size_t ch = 0; ch < c; ++ch) {
            vxy += std::int32_t{p[ch]} * b[ch];
            vyy += std::int32_t{b[ch]} * b[ch];
          }
        }
      }
    }
  }
  const double pixels =
      static_cast<double>(std::int64_t{s.h} * s.w) * static_cast<double>(ts.size());
  out.mean.resize(c);
  for (std::size_t ch = 0; ch < c; ++ch)
    out.mean[ch] = static_cast<double>(sum[ch]) / pixels;
  out.rho_h =
      yy > 0 ? std::clamp(static_cast<double>(xy) / static_cast<double>(yy), 0.0, 1.0) : 0.0;
  out.rho_v =
      vyy > 0 ? std::clamp(static_cast<double>(vxy) / static_cast<double>(vyy), 0.0, 1.0) : 0.0;
  return out;
}

namespace {

double sqnr(double sig, double err) {
  return err > 0 ? 10.0 * std::log10(sig / err) : std::numeric_limits<double>::infinity();
}

}  // namespace

double OutputError::sqnr_db() const {
  return sqnr(signal, error);
}

std::pair<OutputError, OutputError> output_errors(
    const IntTensor& in, const Layer& l, const Network& net, const FloatLayerParams& p,
    const std::vector<double>& w_scale, const std::vector<std::int16_t>& wq,
    const std::vector<std::int32_t>& bias, const std::vector<std::int16_t>* wq2,
    const std::vector<std::int32_t>* bias2, std::int64_t pixels) {
  const GemmShape g = net.gemm(l);
  const std::int64_t k = g.k;
  const std::int64_t step = std::max<std::int64_t>(1, g.m / pixels);
  const std::int64_t measured = (g.m + step - 1) / step;  // pixels m = 0, step, 2 step, ...
  // The measured pixels' input rows are gathered first and every output channel's weights then
  // meet all of them while in cache: streaming a layer's weights once per pixel made this a tenth
  // of a ResNet-50 compile. Each (pixel, channel) term is kept and summed in pixel-major order,
  // as the pixel-by-pixel loop did, so the figures are unchanged to the last bit.
  std::vector<std::int16_t> rows(static_cast<std::size_t>(measured * k));
  std::vector<float> rows_f(rows.size());  // the same values, converted once, not per channel
  std::vector<double> ref(static_cast<std::size_t>(measured * g.n));
  std::vector<double> err(ref.size()), err2(wq2 ? ref.size() : 0);
  OutputError e, e2;
  for (int grp = 0; grp < g.groups; ++grp) {
    for (std::int64_t i = 0; i < measured; ++i)
      im2col_row(in, l, grp, i * step, rows.data() + i * k);
    std::copy(rows.begin(), rows.end(), rows_f.begin());
    for (std::int64_t n = 0; n < g.n; ++n) {
      const std::int64_t r = grp * g.n + n;
      const float* w = p.weights.data() + r * k;
      const std::int16_t* q = wq.data() + r * k;
      const std::int16_t* q2 = wq2 ? wq2->data() + r * k : nullptr;
      const double s = w_scale[r];
      for (std::int64_t i = 0; i < measured; ++i) {
        const std::int16_t* row = rows.data() + i * k;
        const float* row_f = rows_f.data() + i * k;
        // Four float partial sums keep the loop from serialising on one add chain; the integer
        // sums fit 32 bits like the accumulator does.
        float f[4] = {0, 0, 0, 0};
        std::int64_t t = 0;
        for (; t + 4 <= k; t += 4) {
          for (int j = 0; j < 4; ++j)
            f[j] += w[t + j] * row_f[t + j];
        }
        for (; t < k; ++t)
          f[0] += w[t] * row_f[t];
        const double yf = static_cast<double>(f[0]) + f[1] + f[2] + f[3];
        const double y = yf / s + p.bias[r] / (in.scale * s);  // level units, like yq
        auto diff = [&](const std::int16_t* qq, std::int32_t b) {
          std::int32_t yq = 0;
          for (std::int64_t u = 0; u < k; ++u)
            yq += qq[u] * row[u];
          return y - (static_cast<double>(yq) + b);
        };
        const std::size_t at = static_cast<std::size_t>(i * g.n + n);
        ref[at] = y;
        err[at] = diff(q, bias[r]);
        if (q2) err2[at] = diff(q2, (*bias2)[r]);
      }
    }
    for (std::size_t at = 0; at < ref.size(); ++at) {
      e.signal += ref[at] * ref[at];
      e.error += err[at] * err[at];
      if (wq2) {
        e2.signal += ref[at] * ref[at];
        e2.error += err2[at] * err2[at];
      }
    }
  }
  return {e, e2};
}

OutputError output_error(const IntTensor& in, const Layer& l, const Network& net,
                         const FloatLayerParams& p, const std::vector<double>& w_scale,
                         const std::vector<std::int16_t>& wq, const std::vector<std::int32_t>& bias,
                         std::int64_t pixels) {
  return output_errors(in, l, net, p, w_scale, wq, bias, nullptr, nullptr, pixels).first;
}

namespace {

// The part of a layer's compilation that needs no activations: its float parameters and the
// weight scales. compile_network computes it for the next layer on a second thread while the
// current one is calibrated.
struct PreparedLayer {
  FloatLayerParams params;
  std::shared_ptr<const MacModel> mac;  // the layer's datapath (its level set, for per-layer sets)
  std::vector<double> scales;
  std::vector<std::int64_t> rows;  // the output channels in `params`; empty: all of them
};

// Fewest output channels a sampled layer quantizes, so every layer's statistics rest on several
// channels (per-channel scales differ).
constexpr std::int64_t kMinSampleRows = 8;

// The output channels a timing-only compile quantizes: all when the layer has at most `budget`
// weights (or budget is 0), otherwise max(kMinSampleRows, ceil(budget / k)) evenly spaced ones.
std::vector<std::int64_t> sample_rows(std::int64_t rows, std::int64_t k, std::int64_t budget) {
  if (budget <= 0 || rows * k <= budget) return {};
  const std::int64_t n = std::max(kMinSampleRows, (budget + k - 1) / k);
  if (n >= rows) return {};
  std::vector<std::int64_t> sel(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    sel[static_cast<std::size_t>(i)] = (2 * i + 1) * rows / (2 * n);
  return sel;
}

// Per-code use counts of a sample scaled up to `total` weights, summing to `total` exactly
// (largest remainders first; ties to the lower code).
std::vector<std::uint64_t> scale_histogram(const std::vector<std::uint64_t>& h,
                                           std::uint64_t total) {
  std::uint64_t n = 0;
  for (auto v : h)
    n += v;
  std::vector<std::uint64_t> out(h.size(), 0);
  if (n == 0) return out;
  std::vector<std::pair<double, std::size_t>> rest;
  std::uint64_t sum = 0;
  for (std::size_t c = 0; c < h.size(); ++c) {
    const double exact = static_cast<double>(h[c]) * static_cast<double>(total) / n;
    out[c] = static_cast<std::uint64_t>(exact);
    sum += out[c];
    if (h[c] > 0) rest.emplace_back(-(exact - static_cast<double>(out[c])), c);
  }
  std::sort(rest.begin(), rest.end());
  for (std::size_t i = 0; sum < total && i < rest.size(); ++i, ++sum)
    ++out[rest[i].second];
  return out;
}

PreparedLayer prepare_layer(const Network& net, std::size_t li, const DesignConfig& design,
                            MacKind kind, bool in_signed, const WeightSource& source,
                            std::vector<std::int64_t> sample) {
  const GemmShape g = net.gemm(net.layers[li]);
  const DesignConfig d = design.for_layer(net.layers[li].name);
  PreparedLayer pl;
  pl.rows = std::move(sample);
  pl.params = pl.rows.empty() ? source.layer_params(net, li) : source.layer_rows(net, li, pl.rows);
  pl.mac = make_mac_model(d, kind, in_signed);
  const auto& w = pl.params.weights;
  const std::int64_t rows = pl.rows.empty() ? g.n * g.groups
                                            : static_cast<std::int64_t>(pl.rows.size()),
                     k = g.k;
  if (static_cast<std::int64_t>(w.size()) != rows * k) return pl;  // reported by the caller
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!std::isfinite(w[i])) return pl;  // reported by the caller with the layer and index
  }
  // A per-layer level set is chosen from these weights (the sample, in timing-only runs).
  pl.mac = make_layer_mac(d, kind, in_signed, w.data(), static_cast<std::size_t>(rows),
                          static_cast<std::size_t>(k));
  const LevelQuantizer& quant = pl.mac->quantizer();
  pl.scales.assign(static_cast<std::size_t>(rows), 1.0);
  if (d.weight_scale == ScaleGranularity::PerTensor) {
    std::fill(pl.scales.begin(), pl.scales.end(),
              quant.choose_scale(w.data(), w.size(), 1, d.scale_search));
  } else {
    for (std::int64_t r = 0; r < rows; ++r) {
      pl.scales[r] =
          quant.choose_scale(w.data() + r * k, static_cast<std::size_t>(k), 1, d.scale_search);
    }
  }
  return pl;
}

// Calibration state of a calibrated compile: every tensor of every calibration image,
// [image][tensor] (shape, sign and scale equal across images).
using CalibActs = std::vector<std::vector<IntTensor>>;

// Compiles one conv / fully-connected layer in the steps of docs/compensation.md: weight checks
// and neighbour statistics, scales, rounding (with error feedback), codes and compensation
// constants, then with activations the calibration of the output stage and the output error the
// format and compensation cost, in sample and held out.
class PeLayerCompiler {
 public:
  // `acts`: every tensor of every calibration image (null for a compile without data); `held`:
  // every tensor of a held-out image, run through each layer once the layer is calibrated (with
  // the calibrated scales) but never calibrated on; null when there is none.
  PeLayerCompiler(const Network& net, std::size_t li, const DesignConfig& d, PreparedLayer prep,
                  const std::vector<IntTensor>& shapes, CalibActs* acts,
                  std::vector<IntTensor>* held, CompiledLayer& cl)
      : net_(net),
        l_(net.layers[li]),
        d_(d.for_layer(net.layers[li].name)),
        prep_(std::move(prep)),
        shapes_(shapes),
        acts_(acts),
        held_(held),
        cl_(cl),
        g_(net.gemm(l_)),
        cin_g_(shapes[l_.inputs[0]].shape.c / l_.groups),
        sampled_(!prep_.rows.empty()),
        all_rows_(g_.n * g_.groups),
        rows_(sampled_ ? static_cast<std::int64_t>(prep_.rows.size()) : all_rows_),
        k_(g_.k) {}

  void compile() {
    cl_.mac = prep_.mac;
    check_weights();
    neighbour_statistics();
    choose_scales();
    round_weights();
    encode();
    if (!acts_) return;
    calibrate();
    if (held_) run_held_out();
  }

  // 6 and 7: the output errors (figures only; no later layer needs them, so compile_with_data
  // runs this beside the next layers' compile).
  void measure() {
    if (!acts_) return;
    measure_in_sample();
    if (held_) measure_held_out();
  }

 private:
  bool functional() const { return acts_ != nullptr; }
  const FloatLayerParams& params() const { return prep_.params; }
  const LevelQuantizer& quant() const { return cl_.mac->quantizer(); }

  void check_weights() const {
    CONLOC_ASSERT(!(sampled_ && functional()), "compiler",
                  "a functional compile needs every weight");
    const auto& w = params().weights;
    CONLOC_ASSERT(static_cast<std::int64_t>(w.size()) == rows_ * k_, "compiler",
                  "weight source returned the wrong number of weights for " + l_.name);
    const std::string what = net_.name + ": layer " + l_.name;
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (!std::isfinite(w[i])) {
        throw UserError(field_error(what, "weights[" + std::to_string(i) + "]",
                                    std::isnan(w[i]) ? "weight is NaN" : "weight is infinite", "",
                                    "a finite number"));
      }
    }
  }

  // The layer's input on every calibration image and its neighbour correlation; without
  // activations (no input data) error feedback assumes kTimingOnlyCorrelation.
  void neighbour_statistics() {
    st_.rho_h = st_.rho_v = kTimingOnlyCorrelation;
    if (functional()) {
      for (auto& img : *acts_)
        ins_.push_back(&img[l_.inputs[0]]);
      st_ = neighbour_stats(ins_);
    }
    cl_.neighbour_correlation = functional() ? (l_.kw > 1 ? st_.rho_h : st_.rho_v)
                                             : std::numeric_limits<double>::quiet_NaN();
  }

  // 1. Scales (chosen in prepare_layer). The bias is added in the accumulator, in units of
  //    input scale x weight scale: a channel whose weights are negligible next to its bias (a
  //    dead channel of a trained model: max |w| 1e-34, bias 0.4) would need a bias beyond the
  //    accumulator. Its scale is raised until the bias fits with 4x headroom; its weights then
  //    round to 0, which changes its output by less than 1e-4 of the bias.
  void choose_scales() {
    cl_.w_scale = std::move(prep_.scales);
    if (!functional()) return;
    const double in_scale = ins_.front()->scale;
    const double room = std::ldexp(1.0, d_.accumulator_bits - 3);
    for (std::int64_t r = 0; r < rows_; ++r)
      cl_.w_scale[r] = std::max(cl_.w_scale[r], std::abs(params().bias[r]) / (in_scale * room));
  }

  // 2. Rounding, with error feedback along kernel rows (or columns for kx1 kernels).
  void round_weights() {
    cl_.wq.resize(static_cast<std::size_t>(rows_ * k_));
    const bool feedback = uses_feedback(d_.compensation) && (l_.kw > 1 || l_.kh > 1);
    const double rho = l_.kw > 1 ? st_.rho_h : st_.rho_v;
    if (feedback && functional()) wq_plain_.resize(cl_.wq.size());
    for (std::int64_t r = 0; r < rows_; ++r) {
      const double inv = 1.0 / cl_.w_scale[r];
      const float* w = params().weights.data() + r * k_;
      std::int16_t* q = cl_.wq.data() + r * k_;
      for (std::int64_t i = 0; i < k_; ++i)
        q[i] = static_cast<std::int16_t>(quant().nearest(w[i] * inv));
      if (!wq_plain_.empty()) std::copy(q, q + k_, wq_plain_.data() + r * k_);
      if (!feedback) continue;
      // Sigma-delta along the chain of spatially adjacent taps: tap t absorbs rho x the residual
      // of tap t-1, whose activation is its neighbour's (k = (y * kw + x) * cin_g + ci).
      const bool along_w = l_.kw > 1;
      const int outer = along_w ? l_.kh : l_.kw;
      const int chain = along_w ? l_.kw : l_.kh;
      for (int o = 0; o < outer; ++o) {
        for (int ci = 0; ci < cin_g_; ++ci) {
          double carry = 0.0;
          for (int t = 0; t < chain; ++t) {
            const int ky = along_w ? o : t, kx = along_w ? t : o;
            const std::int64_t i = (std::int64_t{ky} * l_.kw + kx) * cin_g_ + ci;
            const double v = w[i] * inv + rho * carry;
            q[i] = static_cast<std::int16_t>(quant().nearest(v));
            carry = v - q[i];
          }
        }
      }
    }
  }

  // 3. Codes, per-weight cycles, MAC actions (energy follows the real weights) and the weight
  //    quantization error, in one pass; 4. (in the same pass) the compensation constant per
  //    output channel: the expected value of the weight error (w/s - q, level units) times the
  //    activations it meets, folded into the bias the output stage adds anyway.
  void encode() {
    const MacModel& mac = *cl_.mac;
    const bool need_err = functional() && uses_constant(d_.compensation);
    const LevelCodes code_of(mac);
    std::vector<std::uint64_t> uses_per_code(std::size_t{1} << mac.pe_code_bits(), 0);
    double sig = 0, e2 = 0;
    cl_.comp.assign(static_cast<std::size_t>(rows_), 0);
    for (std::int64_t r = 0; r < rows_; ++r) {
      const double s = cl_.w_scale[r], inv = 1.0 / s;
      const double* mean = need_err ? st_.mean.data() + (r / g_.n) * cin_g_ : nullptr;
      double comp = 0.0;
      for (std::int64_t i = r * k_; i < (r + 1) * k_; ++i) {
        ++uses_per_code[mac.pe_code(code_of(cl_.wq[i]))];
        const double w = params().weights[i];
        const double dq = w - s * cl_.wq[i];
        sig += w * w;
        e2 += dq * dq;
        if (need_err) comp += static_cast<float>(w * inv - cl_.wq[i]) * mean[(i - r * k_) % cin_g_];
      }
      if (need_err) cl_.comp[r] = static_cast<std::int32_t>(std::llround(comp));
    }
    if (sampled_) {
      uses_per_code = scale_histogram(uses_per_code, static_cast<std::uint64_t>(all_rows_ * k_));
      cl_.sampled_rows = prep_.rows;
    }
    cl_.code_uses = uses_per_code;
    std::vector<std::uint8_t> cycles_of(uses_per_code.size(), 1);
    for (std::size_t c = 0; c < uses_per_code.size(); ++c) {
      if (uses_per_code[c] == 0) continue;
      const MacActions a = mac.actions(static_cast<std::uint32_t>(c));
      cycles_of[c] = static_cast<std::uint8_t>(a.cycles);
      cl_.mac_actions += a.scaled(uses_per_code[c] * static_cast<std::uint64_t>(g_.m));
    }
    // Only a MAC that takes more than a cycle for some weight (term-serial) needs them per weight.
    if (*std::max_element(cycles_of.begin(), cycles_of.end()) > 1) {
      cl_.step_cycles.resize(cl_.wq.size());
      for (std::size_t i = 0; i < cl_.wq.size(); ++i)
        cl_.step_cycles[i] = cycles_of[code_of(cl_.wq[i])];
    }
    cl_.weight_sqnr_db = sqnr(sig, e2);
  }

  // 5. Calibration on the reference outputs of every calibration image.
  void calibrate() {
    const IntTensor& in0 = *ins_.front();
    const IntTensor& out_shape = shapes_[l_.output];
    const int abits = d_.activation_bits;
    const std::int64_t acc_lim = (std::int64_t{1} << (d_.accumulator_bits - 1)) - 1;
    cl_.bias.resize(static_cast<std::size_t>(rows_));
    for (std::int64_t r = 0; r < rows_; ++r) {
      const double b = std::llround(params().bias[r] / (in0.scale * cl_.w_scale[r]));
      cl_.bias[r] =
          static_cast<std::int32_t>(std::clamp<double>(b + cl_.comp[r], -acc_lim, acc_lim));
    }
    std::vector<std::vector<std::int32_t>> accs;
    RangeStat range(d_.activation_percentile);
    for (std::int64_t grp = 0; grp < g_.groups; ++grp)  // packed once for every image
      packed_.emplace_back(cl_.wq.data() + grp * g_.n * k_, k_, g_.n, k_);
    for (const IntTensor* in : ins_) {
      accs.emplace_back();
      conv_accumulate(*in, l_, net_, packed_, d_.accumulator_bits, accs.back());
      const auto& acc = accs.back();
      for (std::size_t i = 0; i < acc.size(); ++i) {
        const std::size_t ch = i % rows_;
        range.add(activate(
            l_.act, (static_cast<double>(acc[i]) + cl_.bias[ch]) * in0.scale * cl_.w_scale[ch]));
      }
    }
    const double maxv = range.value();
    const std::int32_t qmax = act_max(abits, out_shape.is_signed);
    out_scale_ = maxv > 0 ? maxv / qmax : in0.scale * cl_.w_scale[0];
    cl_.out_lo = act_min(abits, out_shape.is_signed);
    cl_.out_hi = qmax;
    if (l_.act == Activation::Relu6) {
      cl_.out_hi =
          static_cast<std::int32_t>(std::min<double>(qmax, std::llround(6.0 / out_scale_)));
    }
    cl_.rq.resize(static_cast<std::size_t>(rows_));
    for (std::int64_t r = 0; r < rows_; ++r)
      cl_.rq[r] = Requant::from_real(in0.scale * cl_.w_scale[r] / out_scale_);
    for (std::size_t img = 0; img < acts_->size(); ++img) {
      IntTensor& out = (*acts_)[img][l_.output];
      out.scale = out_scale_;
      output_stage(accs[img], cl_.bias, cl_.rq, cl_.out_lo, cl_.out_hi, d_.accumulator_bits, out);
    }
    plain_bias_ = cl_.bias;
    for (std::int64_t r = 0; r < rows_; ++r)
      plain_bias_[r] -= cl_.comp[r];
    compensated_ = !wq_plain_.empty() || plain_bias_ != cl_.bias;
  }

  // The output error with the compiled weights and bias, and without the compensation (the same
  // when the compensation changed nothing: no re-rounding, all constants 0).
  std::pair<OutputError, OutputError> output_errors_on(const IntTensor& in) const {
    const std::vector<std::int16_t>& wq_uncomp = wq_plain_.empty() ? cl_.wq : wq_plain_;
    auto e = output_errors(in, l_, net_, params(), cl_.w_scale, cl_.wq, cl_.bias,
                           compensated_ ? &wq_uncomp : nullptr,
                           compensated_ ? &plain_bias_ : nullptr, 16);
    if (!compensated_) e.second = e.first;
    return e;
  }

  // 6. What the weight format and the compensation cost at this layer's output, on up to 16
  //    evenly spaced output pixels (x every output channel) of the first calibration images:
  //    float weights vs quantized (+ compensation) on the same input.
  void measure_in_sample() {
    OutputError comp_err, plain_err;
    const std::size_t measured = std::min<std::size_t>(ins_.size(), 8);
    for (std::size_t img = 0; img < measured; ++img) {
      const auto [c, u] = output_errors_on(*ins_[img]);
      comp_err += c;
      plain_err += u;
    }
    cl_.output_sqnr_in_sample_db = comp_err.sqnr_db();
    cl_.output_sqnr_uncompensated_in_sample_db = plain_err.sqnr_db();
  }

  // The held-out image through this layer with the calibrated parameters (its input is this
  // network's own output of the layers before).
  void run_held_out() {
    const IntTensor& hin = (*held_)[l_.inputs[0]];
    std::vector<std::int32_t> hacc;
    conv_accumulate(hin, l_, net_, packed_, d_.accumulator_bits, hacc);
    IntTensor& hout = (*held_)[l_.output];
    hout.scale = out_scale_;
    output_stage(hacc, cl_.bias, cl_.rq, cl_.out_lo, cl_.out_hi, d_.accumulator_bits, hout);
  }

  // 7. The same on the held-out image, which the scales and the compensation never saw.
  void measure_held_out() {
    const auto [hc, hu] = output_errors_on((*held_)[l_.inputs[0]]);
    cl_.output_sqnr_held_out_db = hc.sqnr_db();
    cl_.output_sqnr_uncompensated_held_out_db = hu.sqnr_db();
  }

  const Network& net_;
  const Layer& l_;
  const DesignConfig d_;  // the layer's own (DesignConfig::for_layer: its format, compensation)
  PreparedLayer prep_;
  const std::vector<IntTensor>& shapes_;
  CalibActs* acts_;
  std::vector<IntTensor>* held_;
  CompiledLayer& cl_;
  const GemmShape g_;
  const int cin_g_;
  // Output channels quantized here: all of them, or the sample of a timing-only compile.
  const bool sampled_;
  const std::int64_t all_rows_, rows_, k_;
  NeighbourStats st_;
  std::vector<const IntTensor*> ins_;     // the layer's input on every calibration image
  std::vector<std::int16_t> wq_plain_;    // uncompensated rounding, when feedback re-rounded
  std::vector<PackedWeights> packed_;     // the rounded weights, packed for the reference GEMM
  std::vector<std::int32_t> plain_bias_;  // the bias without the compensation constants
  bool compensated_ = false;
  double out_scale_ = 0;
};

void compile_vector_layer(const Network& net, std::size_t li, const DesignConfig& d,
                          std::vector<IntTensor>& shapes, CalibActs* acts,
                          std::vector<IntTensor>* held, CompiledLayer& cl) {
  const Layer& l = net.layers[li];
  const LayerKind& kind = layer_kind(l.type);
  std::vector<bool> in_signed;
  for (int t : l.inputs)
    in_signed.push_back(shapes[t].is_signed);
  IntTensor& out = shapes[l.output];
  out.shape = net.out_shape(l);
  out.is_signed = kind.out_signed(l, in_signed);
  cl.out_lo = act_min(d.activation_bits, out.is_signed);
  cl.out_hi = act_max(d.activation_bits, out.is_signed);
  if (!acts) return;
  const KindCalibration calibration{l,     net,   d.activation_bits, d.activation_percentile,
                                    *acts, shapes};
  const double out_scale =
      kind.calibrate ? kind.calibrate(calibration, cl) : calibration.in_scale(0);
  for (auto& img : *acts) {
    img[l.output].scale = out_scale;
    run_vector_layer(net, li, cl, img);
  }
  if (held) {
    (*held)[l.output].scale = out_scale;
    run_vector_layer(net, li, cl, *held);
  }
}

void count_weights(CompiledNetwork& cn) {
  for (std::size_t i = 0; i < cn.net.layers.size(); ++i) {
    const Layer& l = cn.net.layers[i];
    if (!l.on_pe_array()) continue;
    const std::int64_t all = cn.net.weight_count(l);
    const auto& sel = cn.layers[i].sampled_rows;
    cn.weights_total += all;
    cn.weights_quantized += sel.empty() ? all
                                        : all / (cn.net.gemm(l).n * cn.net.gemm(l).groups) *
                                              static_cast<std::int64_t>(sel.size());
  }
}

}  // namespace

namespace {

// The PE-array layers of a compile without input data, or (calibration non-empty) every layer
// calibrated on those images.
// Every PE-array layer of a compile without activations (`cn` holds the shapes and signs): the
// layers are independent, so two workers take every other one.
void compile_without_data(const Network& net, const CompileSpec& spec, const WeightSource& source,
                          CompiledNetwork& cn) {
  const DesignConfig& d = spec.design;
  const MacKind mac_kind = d.mac;
  // Term-serial timing needs every weight's term count (a fold waits for its slowest weight);
  // otherwise only the MAC statistics are needed, and a sample of channels gives them where
  // the source can produce channels alone (synthetic weights; trained files are read and
  // checked whole).
  const bool serial = mac_kind == MacKind::ElpBsd && d.elp_mac == ElpMacVariant::TermSerial;
  const std::int64_t budget =
      serial || !source.samples_cheaply() ? 0 : static_cast<std::int64_t>(spec.weight_sample);
  auto work = [&](std::size_t first) {
    for (std::size_t i = first; i < net.layers.size(); i += 2) {
      const Layer& l = net.layers[i];
      if (!l.on_pe_array()) continue;
      const GemmShape g = net.gemm(l);
      PeLayerCompiler(net, i, d,
                      prepare_layer(net, i, d, mac_kind, cn.layers[i].in_signed, source,
                                    sample_rows(g.n * g.groups, g.k, budget)),
                      cn.tensors, nullptr, nullptr, cn.layers[i])
          .compile();
    }
  };
  auto other = std::async(std::launch::async, work, 1);
  work(0);
  other.get();
}

// The input scale: it covers every calibration image (each image is quantized with it).
double input_scale(const Network& net, const DesignConfig& d,
                   const std::vector<std::vector<float>>& calibration) {
  CONLOC_ASSERT(!calibration.empty(), "compiler", "a calibrated compile needs an input");
  RangeStat range(d.activation_percentile);
  for (std::size_t img = 0; img < calibration.size(); ++img) {
    const auto& x = calibration[img];
    if (static_cast<std::int64_t>(x.size()) != net.tensors[0].elements()) {
      throw UserError(net.name + ": calibration image " + std::to_string(img) + " has " +
                      std::to_string(x.size()) + " values; the network input needs " +
                      std::to_string(net.tensors[0].elements()));
    }
    for (float v : x) {
      if (!std::isfinite(v)) {
        throw UserError(net.name + ": calibration image " + std::to_string(img) +
                        " contains a non-finite value");
      }
      range.add(v);
    }
  }
  const double maxv = range.value();
  return maxv > 0 ? maxv / act_max(d.activation_bits, true) : 1.0;
}

// A calibrated compile between two layers: the layers compiled so far and every tensor of every
// calibration image (a later image's tensor dropped after its last reader) and of the held-out
// image. Copied, it is where another spec that compiles the same layers so far goes on from
// (compile_calibrated_all).
struct CompileState {
  CompiledNetwork cn;
  CalibActs acts;
  std::vector<IntTensor> held;
  bool has_held = false;
  std::size_t next = 0;  // the first layer not compiled
};

// Layers s.next .. end - 1 of `spec` on the calibration images' activations (and the held-out
// image's): a PE-array layer's weights are prepared on a second thread while the layer before is
// calibrated, and its output errors measured beside the layers after it.
// `prepared(i)`, when given, is layer i's prepared weights (prepare_layer with `spec`), or none
// to prepare them here.
using PreparedSource = std::function<std::optional<PreparedLayer>(std::size_t)>;
void advance(const CompileSpec& spec, const WeightSource& source, std::size_t end, CompileState& s,
             const PreparedSource& prepared = {}) {
  const Network& net = s.cn.net;
  const DesignConfig& d = spec.design;
  const MacKind mac_kind = d.mac;
  CalibActs& acts = s.acts;
  CompiledNetwork& cn = s.cn;
  std::vector<IntTensor>* held_ptr = s.has_held ? &s.held : nullptr;
  // A tensor of the later calibration images is dropped after its last reader (the first
  // image's tensors become the reference the accelerator is checked against).
  std::vector<std::size_t> last_use(net.tensors.size(), 0);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    for (int t : net.layers[i].inputs)
      last_use[static_cast<std::size_t>(t)] = i;
  }
  std::future<PreparedLayer> next;
  // The last PE-array layer's output errors, measured beside the layers after it; the tensors
  // it may read are dropped once it is done.
  std::future<void> measuring;
  std::vector<std::size_t> drop;
  auto finish_measuring = [&] {
    if (measuring.valid()) measuring.get();
    for (std::size_t t : drop) {
      for (std::size_t img = 1; img < acts.size(); ++img)
        std::vector<std::int16_t>().swap(acts[img][t].data);
    }
    drop.clear();
  };
  for (std::size_t i = s.next; i < end; ++i) {
    const Layer& l = net.layers[i];
    CompiledLayer& cl = cn.layers[i];
    if (l.on_pe_array()) {
      auto prepare = [&](std::size_t j) {
        std::optional<PreparedLayer> p = prepared ? prepared(j) : std::nullopt;
        return p ? std::move(*p)
                 : prepare_layer(net, j, d, mac_kind, cn.layers[j].in_signed, source, {});
      };
      PreparedLayer prep = next.valid() ? next.get() : prepare(i);
      // Start preparing the next PE-array layer while this one is calibrated.
      for (std::size_t j = i + 1; j < end; ++j) {
        if (!net.layers[j].on_pe_array()) continue;
        next = std::async(std::launch::async, prepare, j);
        break;
      }
      auto compiler = std::make_shared<PeLayerCompiler>(net, i, d, std::move(prep), cn.tensors,
                                                        &acts, held_ptr, cl);
      compiler->compile();
      finish_measuring();
      measuring = std::async(std::launch::async, [compiler] { compiler->measure(); });
    } else {
      compile_vector_layer(net, i, d, cn.tensors, &acts, held_ptr, cl);
    }
    for (std::size_t t = 0; t < last_use.size(); ++t) {
      if (last_use[t] == i && t + 1 != net.tensors.size()) drop.push_back(t);
    }
  }
  finish_measuring();
  s.next = std::max(s.next, end);
}

// design.layer_formats names PE-array layers of this network.
void check_layer_formats(const Network& net, const DesignConfig& d) {
  for (const LayerFormat& f : d.layer_formats) {
    const std::string& name = f.layer;
    const auto it = std::find_if(net.layers.begin(), net.layers.end(),
                                 [&](const Layer& l) { return l.name == name; });
    if (it == net.layers.end() || !it->on_pe_array()) {
      std::string closest;
      for (const Layer& l : net.layers) {
        if (l.on_pe_array() &&
            (closest.empty() || edit_distance(name, l.name) < edit_distance(name, closest)))
          closest = l.name;
      }
      throw UserError(
          field_error(d.layer_formats_source, "design.layer_formats",
                      it == net.layers.end()
                          ? net.name + " has no layer named \"" + name + "\""
                          : "layer " + name + " of " + net.name + " does not run on the PE array",
                      "\"" + name + "=" + f.format + "\"",
                      "a conv or fully-connected layer" +
                          (closest.empty() ? std::string() : " (closest: " + closest + ")")));
    }
  }
}

// What a compile does before its first layer (the network's checks, shapes and signs, the input
// quantized); without calibration images (nothing carries from layer to layer) the whole compile.
CompileState begin_compile(const Network& net, const CompileSpec& spec, const WeightSource& source,
                           const std::vector<std::vector<float>>* calibration,
                           const std::vector<float>* held_out) {
  CompileState s;
  CompiledNetwork& cn = s.cn;
  const DesignConfig& d = spec.design;
  const MacKind mac_kind = d.mac;
  const bool calibrated = calibration != nullptr;
  CONLOC_ASSERT(calibrated == spec.calibrate, "compiler", "calibration images and spec disagree");
  cn.net = net;
  cn.mac = mac_kind;
  cn.calibrated = calibrated;
  cn.compile_key = spec.key;
  cn.weight_source = source.description();
  cn.widths.activation_bits = d.activation_bits;
  cn.widths.accumulator_bits = d.accumulator_bits;
  cn.tensors.resize(net.tensors.size());
  cn.layers.resize(net.layers.size());
  // The level set (and so the quantizer) does not depend on the activations' signedness.
  const auto probe = make_mac_model(d, mac_kind, true);
  cn.mac_name = probe->name();
  cn.widths.code_bits = probe->code_bits();
  // Unsigned activations need the wider operand: the PE is built for them.
  cn.pe_transistors = make_mac_model(d, mac_kind, false)->pe_transistors();

  check_layer_formats(net, d);
  if (calibrated && net.extra_sources() > 0) {
    throw UserError(field_error(net.name, "",
                                "a layer list (topology or GEMM CSV) has no input data", "",
                                "--timing-only"));
  }
  for (std::size_t t = 0; t < net.tensors.size(); ++t)
    cn.tensors[t].shape = net.tensors[t];  // layer outputs get theirs again below
  cn.tensors[0].is_signed = true;

  // Shapes and signs first: a PE-array layer's output is unsigned after ReLU / ReLU6.
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    const Layer& l = net.layers[i];
    cn.layers[i].in_signed = cn.tensors[l.inputs[0]].is_signed;
    if (l.on_pe_array()) {
      cn.tensors[l.output].shape = net.out_shape(l);
      cn.tensors[l.output].is_signed = l.act == Activation::None;
    } else {
      compile_vector_layer(net, i, d, cn.tensors, nullptr, nullptr,
                           cn.layers[i]);  // shape, sign, clamp
    }
  }

  if (!calibrated) {
    compile_without_data(net, spec, source, cn);
    s.next = net.layers.size();
    return s;
  }

  cn.tensors[0].scale = input_scale(net, d, *calibration);
  s.acts.assign(calibration->size(), cn.tensors);
  for (std::size_t img = 0; img < s.acts.size(); ++img)
    quantize_input((*calibration)[img], cn.widths.activation_bits, s.acts[img][0]);
  if (held_out) {
    if (static_cast<std::int64_t>(held_out->size()) != net.tensors[0].elements()) {
      throw UserError(net.name + ": the held-out image has " + std::to_string(held_out->size()) +
                      " values; the network input needs " +
                      std::to_string(net.tensors[0].elements()));
    }
    s.held = cn.tensors;
    s.has_held = true;
    quantize_input(*held_out, cn.widths.activation_bits, s.held[0]);
  }
  return s;
}

// The compiled network of a state whose every layer is compiled.
CompiledNetwork end_compile(CompileState s) {
  CONLOC_ASSERT(s.next == s.cn.net.layers.size(), "compiler", "a compile ended before its end");
  CompiledNetwork cn = std::move(s.cn);
  if (cn.calibrated) cn.tensors = std::move(s.acts.front());
  count_weights(cn);
  return cn;
}

CompiledNetwork compile(const Network& net, const CompileSpec& spec, const WeightSource& source,
                        const std::vector<std::vector<float>>* calibration,
                        const std::vector<float>* held_out) {
  CompileState s = begin_compile(net, spec, source, calibration, held_out);
  advance(spec, source, net.layers.size(), s);
  return end_compile(std::move(s));
}

}  // namespace

CompileSpec compile_spec(const SimConfig& cfg, bool calibrate) {
  // The other MAC kind's fields at the defaults, so the compiler cannot read what the key omits.
  static const DesignConfig defaults = load_sim_config(ConfigInput{}).design;
  CompileSpec s;
  s.design = cfg.design;
  nlohmann::json design = cfg.resolved.at("design");
  if (s.design.mac == MacKind::ElpBsd) {
    s.design.fixed_weight_bits = defaults.fixed_weight_bits;
    design.erase("fixed");
  } else {
    s.design.elp = defaults.elp;
    s.design.elp_v2 = defaults.elp_v2;
    s.design.elp_mac = defaults.elp_mac;
    design.erase("elp");
  }
  s.calibrate = calibrate;
  s.weight_sample = calibrate ? 0 : cfg.timing_weight_sample;
  nlohmann::json key = {{"design", design}, {"calibrate", calibrate}};
  if (!calibrate) key["weight_sample"] = s.weight_sample;
  s.key = key.dump();
  return s;
}

CompiledNetwork compile_network(const Network& net, const CompileSpec& spec,
                                const WeightSource& source) {
  if (!spec.calibrate) return compile(net, spec, source, nullptr, nullptr);
  const std::vector<std::vector<float>> input{source.input(net)};
  const std::optional<std::vector<float>> held = source.held_out_input(net);
  return compile(net, spec, source, &input, held ? &*held : nullptr);
}

CompiledNetwork compile_calibrated(const Network& net, const CompileSpec& spec,
                                   const WeightSource& source,
                                   const std::vector<std::vector<float>>& calibration,
                                   const std::vector<float>* held_out) {
  CONLOC_ASSERT(spec.calibrate, "compiler", "compile_calibrated needs a calibrating spec");
  return compile(net, spec, source, &calibration, held_out);
}

namespace {

// Two specs compile a layer alike when they agree on everything but design.layer_formats and on
// the layer's own entry (the first naming it: DesignConfig::for_layer); `shared_key` is the
// first part, `layer_entry` the second.
std::string shared_key(const CompileSpec& spec) {
  nlohmann::json k = nlohmann::json::parse(spec.key);
  k["design"].erase("layer_formats");
  return k.dump();
}

const LayerFormat* layer_entry(const DesignConfig& d, const std::string& layer) {
  for (const LayerFormat& f : d.layer_formats)
    if (f.layer == layer) return &f;
  return nullptr;
}

std::string entry_text(const LayerFormat* f) {
  return f ? f->format + "/" + (f->compensation ? to_string(*f->compensation) : "") : "";
}

}  // namespace

std::vector<CompiledNetwork> compile_calibrated_all(
    const Network& net, const std::vector<CompileSpec>& specs, const WeightSource& source,
    const std::vector<std::vector<float>>& calibration, const std::vector<float>* held_out,
    int jobs, const std::function<void(std::size_t, CompiledNetwork&)>& done) {
  std::vector<CompiledNetwork> out(specs.size());
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    CONLOC_ASSERT(specs[i].calibrate, "compiler", "compile_calibrated_all needs calibrating specs");
    check_layer_formats(net, specs[i].design);
    groups[shared_key(specs[i])].push_back(i);
  }
  std::vector<std::size_t> pe_layers;
  for (std::size_t l = 0; l < net.layers.size(); ++l)
    if (net.layers[l].on_pe_array()) pe_layers.push_back(l);
  // The groups side by side; within one, its branches at a layer side by side.
  std::vector<const std::vector<std::size_t>*> list;
  for (const auto& g : groups)
    list.push_back(&g.second);
  const int inner =
      std::max(1, jobs / std::max(1, std::min<int>(jobs, static_cast<int>(list.size()))));
  run_parallel(list.size(), jobs, [&](std::size_t gi) {
    const std::vector<std::size_t>& members = *list[gi];
    // The trunk: per layer the entry most members have (ties: the earliest member's); each
    // member goes on from the trunk's state before its first layer that differs.
    CompileSpec trunk = specs[members.front()];
    trunk.design.layer_formats.clear();
    for (std::size_t l : pe_layers) {
      std::map<std::string, int> votes;
      const LayerFormat* pick = nullptr;
      int most = 0;
      for (std::size_t m : members) {
        const LayerFormat* f = layer_entry(specs[m].design, net.layers[l].name);
        if (const int v = ++votes[entry_text(f)]; v > most) {
          most = v;
          pick = f;
        }
      }
      if (pick) trunk.design.layer_formats.push_back(*pick);
    }
    // Whether `spec` compiles layer l as the trunk does (its PE-array layers; the others alike).
    std::vector<std::string> trunk_entry(net.layers.size());
    for (std::size_t l : pe_layers)
      trunk_entry[l] = entry_text(layer_entry(trunk.design, net.layers[l].name));
    auto as_trunk = [&](const CompileSpec& spec, std::size_t l) {
      return entry_text(layer_entry(spec.design, net.layers[l].name)) == trunk_entry[l];
    };
    std::map<std::size_t, std::vector<std::size_t>> branch_at;  // first differing layer -> members
    for (std::size_t m : members) {
      std::size_t at = net.layers.size();
      for (std::size_t l : pe_layers) {
        if (!as_trunk(specs[m], l)) {
          at = l;
          break;
        }
      }
      branch_at[at].push_back(m);
    }
    // The trunk's prepared weights, each made once for every member that agrees with the
    // trunk at that layer (prepare_layer reads no activations).
    std::vector<std::once_flag> once(net.layers.size());
    std::vector<std::optional<PreparedLayer>> made(net.layers.size());
    CompileState state = begin_compile(net, trunk, source, &calibration, held_out);
    std::vector<bool> in_signed;  // (the state moves to the last member)
    for (const CompiledLayer& cl : state.cn.layers)
      in_signed.push_back(cl.in_signed);
    auto trunks = [&](const CompileSpec& spec) -> PreparedSource {
      return [&, spec_ptr = &spec](std::size_t j) -> std::optional<PreparedLayer> {
        if (!as_trunk(*spec_ptr, j)) return std::nullopt;
        std::call_once(once[j], [&] {
          made[j] = prepare_layer(net, j, trunk.design, trunk.design.mac, in_signed[j], source, {});
        });
        return made[j];
      };
    };
    for (const auto& [at, branching] : branch_at) {
      advance(trunk, source, at, state, trunks(trunk));
      // The trunk's state is copied, but for the last member to branch off when it is alone.
      const bool last = at == branch_at.rbegin()->first && branching.size() == 1;
      run_parallel(branching.size(), inner, [&](std::size_t k) {
        const std::size_t m = branching[k];
        CompileState s = last ? std::move(state) : state;
        advance(specs[m], source, net.layers.size(), s, trunks(specs[m]));
        s.cn.compile_key = specs[m].key;
        out[m] = end_compile(std::move(s));
        if (done) done(m, out[m]);
      });
    }
  });
  return out;
}

void add_batch_references(CompiledNetwork& cn, const WeightSource& source, int batch) {
  cn.batch_tensors.clear();
  if (!cn.calibrated || batch <= 1) return;
  const IntegerInference engine(cn);
  cn.batch_tensors.resize(static_cast<std::size_t>(batch - 1));
  for (int b = 1; b < batch; ++b)
    engine.run(source.input(cn.net, b), cn.batch_tensors[static_cast<std::size_t>(b - 1)]);
}

}  // namespace conloc
