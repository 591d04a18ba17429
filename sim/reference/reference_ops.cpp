#include "sim/reference/reference_ops.h"

#include <algorithm>
#include <cmath>

#include "modules/arith/mac_actions.h"
#include "modules/base/error.h"
#include "modules/base/multiversion.h"
#include "modules/dataflow/gemm_kernel.h"

namespace conloc {

void im2col_row(const IntTensor& in, const Layer& l, int group, std::int64_t m, std::int16_t* row) {
  im2col_row_of(in.data.data(), in.shape, l, group, m, row);
}

void im2col(const IntTensor& in, const Layer& l, int group, std::vector<std::int16_t>& a) {
  const TensorShape& s = in.shape;
  const int oh = l.out_h(s.h);
  const int ow = l.out_w(s.w);
  const std::int64_t k = std::int64_t{l.kh} * l.kw * (s.c / l.groups);
  const std::int64_t m = std::int64_t{oh} * ow;
  a.resize(static_cast<std::size_t>(m * k));
  for (std::int64_t i = 0; i < m; ++i)
    im2col_row(in, l, group, i, a.data() + i * k);
}

std::vector<std::int32_t> conv_accumulate(const IntTensor& in, const Layer& l, const Network& net,
                                          const std::int16_t* w, int acc_bits) {
  std::vector<std::int32_t> acc;
  conv_accumulate(in, l, net, w, acc_bits, acc);
  return acc;
}

namespace {

// Int32 sums wrapped to a narrower accumulator (wrapping commutes with addition).
void wrap_accumulators(std::vector<std::int32_t>& acc, int acc_bits) {
  if (acc_bits >= 32) return;
  for (auto& v : acc)
    v = static_cast<std::int32_t>(wrap_to_bits(v, acc_bits));
}

// Depthwise convolutions (one input and one output channel per group) tap by tap, every channel
// at once: per group the GEMM would be one column wide. `w_of(c)` is channel c's kh*kw weights.
// The same integers as the GEMM (int32 sums of int16 products). False when `l` is not depthwise.
template <class WeightOf>
CONLOC_MULTIVERSION bool depthwise_accumulate(const IntTensor& in, const Layer& l,
                                              const Network& net, WeightOf w_of, int acc_bits,
                                              std::vector<std::int32_t>& acc) {
  const GemmShape g = net.gemm(l);
  const TensorShape& s = in.shape;
  if (g.groups != s.c || g.n != 1 || g.groups < 2) return false;
  const TensorShape o = net.out_shape(l);
  const std::size_t c = static_cast<std::size_t>(s.c);
  const int taps = l.kh * l.kw;
  thread_local std::vector<std::int32_t> wt;  // [tap][channel]
  wt.resize(static_cast<std::size_t>(taps) * c);
  for (std::size_t ch = 0; ch < c; ++ch) {
    const std::int16_t* w = w_of(static_cast<int>(ch));
    for (int t = 0; t < taps; ++t)
      wt[static_cast<std::size_t>(t) * c + ch] = w[t];
  }
  acc.assign(static_cast<std::size_t>(o.elements()), 0);
  for (int oy = 0; oy < o.h; ++oy) {
    for (int ox = 0; ox < o.w; ++ox) {
      std::int32_t* __restrict out = acc.data() + (std::int64_t{oy} * o.w + ox) * s.c;
      for (int r = 0; r < l.kh; ++r) {
        const int iy = oy * l.stride_h - l.pad_t + r * l.dil_h;
        if (iy < 0 || iy >= s.h) continue;
        for (int q = 0; q < l.kw; ++q) {
          const int ix = ox * l.stride_w - l.pad_l + q * l.dil_w;
          if (ix < 0 || ix >= s.w) continue;
          const std::int16_t* __restrict src = in.data.data() + (std::int64_t{iy} * s.w + ix) * s.c;
          const std::int32_t* __restrict w = wt.data() + static_cast<std::size_t>(r * l.kw + q) * c;
          for (std::size_t ch = 0; ch < c; ++ch)
            out[ch] += src[ch] * w[ch];
        }
      }
    }
  }
  wrap_accumulators(acc, acc_bits);
  return true;
}

// The conv / fully-connected accumulators with `gemm(group, patches, out, ldc)` computing one
// group's GEMM: shared by the plain and the packed-weight entry points.
template <class Gemm>
void conv_accumulate_with(const IntTensor& in, const Layer& l, const Network& net, int acc_bits,
                          std::vector<std::int32_t>& acc, Gemm gemm) {
  const GemmShape g = net.gemm(l);
  const std::int64_t cout = l.out_channels;
  acc.resize(static_cast<std::size_t>(g.m * cout));
  thread_local std::vector<std::int16_t> a;  // patch matrix, reused across calls
  const bool pointwise = l.kh == 1 && l.kw == 1 && l.stride_h == 1 && l.stride_w == 1;
  // One window: fully connected.
  const bool whole = l.kh == in.shape.h && l.kw == in.shape.w && !l.dilated();
  if (g.groups == 1 && !l.padded() && (pointwise || whole)) {
    // The HWC input already is the patch matrix (k = (r * kw + c) * cin + ci is HWC order).
    gemm(0, in.data.data(), acc.data(), cout);
  } else if (g.groups == 1) {
    // One group: the GEMM writes the accumulators directly (ldc = cout = n).
    im2col(in, l, 0, a);
    gemm(0, a.data(), acc.data(), cout);
  } else {
    thread_local std::vector<std::int32_t> part;
    part.resize(static_cast<std::size_t>(g.m * g.n));
    for (int grp = 0; grp < g.groups; ++grp) {
      im2col(in, l, grp, a);
      gemm(grp, a.data(), part.data(), g.n);
      for (std::int64_t m = 0; m < g.m; ++m)
        std::copy_n(part.data() + m * g.n, g.n, acc.data() + m * cout + grp * g.n);
    }
  }
  wrap_accumulators(acc, acc_bits);
}

}  // namespace

void conv_accumulate(const IntTensor& in, const Layer& l, const Network& net, const std::int16_t* w,
                     int acc_bits, std::vector<std::int32_t>& acc) {
  const GemmShape g = net.gemm(l);
  if (depthwise_accumulate(
          in, l, net, [&](int c) { return w + std::int64_t{c} * g.k; }, acc_bits, acc)) {
    return;
  }
  conv_accumulate_with(in, l, net, acc_bits, acc,
                       [&](int grp, const std::int16_t* a, std::int32_t* out, std::int64_t ldc) {
                         gemm_i16(a, g.k, w + grp * g.n * g.k, g.k, out, ldc, g.m, g.n, g.k, false);
                       });
}

void conv_accumulate(const IntTensor& in, const Layer& l, const Network& net,
                     const std::vector<PackedWeights>& w, int acc_bits,
                     std::vector<std::int32_t>& acc) {
  const GemmShape g = net.gemm(l);
  if (depthwise_accumulate(
          in, l, net, [&](int c) { return w[static_cast<std::size_t>(c)].raw(); }, acc_bits, acc)) {
    return;
  }
  const TensorShape& s = in.shape;
  const std::int64_t run = std::int64_t{l.kw} * s.c;
  if (g.groups == 1 && l.kh > 1 && !l.dilated() && run % 2 == 0 && w[0].paired()) {
    // No patch matrix: each patch row is kh runs of the HWC input (one per kernel row); only
    // windows that reach into the padding get a zero-filled copy.
    const int ow = l.out_w(s.w);
    auto inside = [&](std::int64_t m) {
      const int y0 = static_cast<int>(m / ow) * l.stride_h - l.pad_t;
      const int x0 = static_cast<int>(m % ow) * l.stride_w - l.pad_l;
      return y0 >= 0 && x0 >= 0 && y0 + l.kh <= s.h && x0 + l.kw <= s.w;
    };
    std::int64_t border = 0;
    for (std::int64_t m = 0; m < g.m; ++m)
      border += !inside(m);
    thread_local std::vector<std::int16_t> copies;
    thread_local std::vector<const std::int16_t*> seg;
    copies.resize(static_cast<std::size_t>(border * g.k));
    seg.resize(static_cast<std::size_t>(g.m * l.kh));
    std::int64_t b = 0;
    for (std::int64_t m = 0; m < g.m; ++m) {
      const std::int16_t** sp = seg.data() + m * l.kh;
      if (inside(m)) {
        const int y0 = static_cast<int>(m / ow) * l.stride_h - l.pad_t;
        const int x0 = static_cast<int>(m % ow) * l.stride_w - l.pad_l;
        for (int r = 0; r < l.kh; ++r)
          sp[r] = in.data.data() + (std::int64_t{y0 + r} * s.w + x0) * s.c;
      } else {
        std::int16_t* row = copies.data() + b++ * g.k;
        im2col_row(in, l, 0, m, row);
        for (int r = 0; r < l.kh; ++r)
          sp[r] = row + r * run;
      }
    }
    acc.resize(static_cast<std::size_t>(g.m * l.out_channels));
    const bool ran = gemm_i16_packed_segments(seg.data(), l.kh, run, w[0], acc.data(),
                                              l.out_channels, g.m, false);
    CONLOC_ASSERT(ran, "reference", "the packed kernel refused runs checked for it");
    wrap_accumulators(acc, acc_bits);
    return;
  }
  conv_accumulate_with(in, l, net, acc_bits, acc,
                       [&](int grp, const std::int16_t* a, std::int32_t* out, std::int64_t ldc) {
                         gemm_i16_packed(a, g.k, w[static_cast<std::size_t>(grp)], out, ldc, g.m,
                                         false);
                       });
}

namespace {

// The output stage in double arithmetic, which vectorises: with a 32-bit accumulator the biased
// sum v is an int32, v * mult + 2^(shift-1) is an integer below 2^53 (so exact in a double) when
// shift <= 52, and scaling by 2^-shift then flooring is exact too. It is therefore bit for bit
// Requant::apply (an arithmetic shift right is a floor). Returns false where that does not hold.
CONLOC_MULTIVERSION
bool output_stage_exact_double(const std::vector<std::int32_t>& acc,
                               const std::vector<std::int32_t>& bias,
                               const std::vector<Requant>& rq, std::int32_t lo, std::int32_t hi,
                               int acc_bits, IntTensor& out) {
  if (acc_bits != 32) return false;
  const std::size_t c = bias.size();
  thread_local std::vector<double> mult, half, inv;
  mult.resize(c);
  half.resize(c);
  inv.resize(c);
  for (std::size_t ch = 0; ch < c; ++ch) {
    if (rq[ch].shift > 52) return false;
    mult[ch] = rq[ch].mult;
    half[ch] = std::ldexp(1.0, rq[ch].shift - 1);
    inv[ch] = std::ldexp(1.0, -rq[ch].shift);
  }
  const double dlo = lo, dhi = hi;
  const double *pm = mult.data(), *ph = half.data(), *pi = inv.data();
  const std::int32_t* pb = bias.data();
  for (std::size_t base = 0; base < acc.size(); base += c) {
    const std::int32_t* __restrict a = acc.data() + base;
    std::int16_t* __restrict o = out.data.data() + base;
    for (std::size_t ch = 0; ch < c; ++ch) {
      const auto v = static_cast<std::int32_t>(static_cast<std::uint32_t>(a[ch]) +
                                               static_cast<std::uint32_t>(pb[ch]));
      const double y = std::floor((v * pm[ch] + ph[ch]) * pi[ch]);
      o[ch] = static_cast<std::int16_t>(static_cast<std::int32_t>(std::min(std::max(y, dlo), dhi)));
    }
  }
  return true;
}

}  // namespace

void output_stage(const std::vector<std::int32_t>& acc, const std::vector<std::int32_t>& bias,
                  const std::vector<Requant>& rq, std::int32_t lo, std::int32_t hi, int acc_bits,
                  IntTensor& out) {
  const std::size_t c = bias.size();
  out.data.resize(acc.size());
  if (output_stage_exact_double(acc, bias, rq, lo, hi, acc_bits, out)) return;
  // Row by row, so the channel is the inner index (no division per element).
  for (std::size_t base = 0; base < acc.size(); base += c) {
    const std::int32_t* a = acc.data() + base;
    std::int16_t* o = out.data.data() + base;
    for (std::size_t ch = 0; ch < c; ++ch) {
      const std::int64_t v = wrap_to_bits(std::int64_t{a[ch]} + bias[ch], acc_bits);
      o[ch] = static_cast<std::int16_t>(clamp_to(rq[ch].apply(v), lo, hi));
    }
  }
}

}  // namespace conloc
