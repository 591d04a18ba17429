#include "sim/reference/reference_ops.h"

#include <algorithm>

#include "modules/arith/mac_actions.h"
#include "modules/common/error.h"
#include "modules/pe_array/gemm_kernel.h"

namespace conloc {

void im2col_row(const IntTensor& in, const Layer& l, int group, std::int64_t m, std::int16_t* row) {
  im2col_row_of(in.data.data(), in.shape, l, group, m, row);
}

void im2col(const IntTensor& in, const Layer& l, int group, std::vector<std::int16_t>& a) {
  const TensorShape& s = in.shape;
  const int oh = (s.h + 2 * l.pad - l.kh) / l.stride + 1;
  const int ow = (s.w + 2 * l.pad - l.kw) / l.stride + 1;
  const std::int64_t k = std::int64_t{l.kh} * l.kw * (s.c / l.groups);
  const std::int64_t m = std::int64_t{oh} * ow;
  a.resize(static_cast<std::size_t>(m * k));
  for (std::int64_t i = 0; i < m; ++i)
    im2col_row(in, l, group, i, a.data() + i * k);
}

std::vector<std::int32_t> conv_accumulate(const IntTensor& in, const Layer& l, const Network& net,
                                          const std::int16_t* w, int acc_bits) {
  const GemmShape g = net.gemm(l);
  const std::int64_t cout = l.out_channels;
  std::vector<std::int32_t> acc(static_cast<std::size_t>(g.m * cout));
  std::vector<std::int32_t> part(static_cast<std::size_t>(g.m * g.n));
  std::vector<std::int16_t> a;
  for (int grp = 0; grp < g.groups; ++grp) {
    im2col(in, l, grp, a);
    gemm_i16(a.data(), g.k, w + grp * g.n * g.k, g.k, part.data(), g.n, g.m, g.n, g.k, false);
    for (std::int64_t m = 0; m < g.m; ++m) {
      for (std::int64_t n = 0; n < g.n; ++n) {
        acc[m * cout + grp * g.n + n] =
            static_cast<std::int32_t>(wrap_to_bits(part[m * g.n + n], acc_bits));
      }
    }
  }
  return acc;
}

void output_stage(const std::vector<std::int32_t>& acc, const std::vector<std::int32_t>& bias,
                  const std::vector<Requant>& rq, std::int32_t lo, std::int32_t hi, int acc_bits,
                  IntTensor& out) {
  const std::size_t c = bias.size();
  out.data.resize(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i) {
    const std::size_t ch = i % c;
    const std::int64_t v = wrap_to_bits(std::int64_t{acc[i]} + bias[ch], acc_bits);
    out.data[i] = static_cast<std::int16_t>(clamp_to(rq[ch].apply(v), lo, hi));
  }
}

namespace {

// Visits every output element of a pooling layer with the maximum and the sum of its window
// (padding excluded from both; the average divides by the full window, see avg_pool).
template <class Emit>
void pool_windows(const IntTensor& in, const Layer& l, const TensorShape& o, Emit emit) {
  const TensorShape& s = in.shape;
  for (int y = 0; y < o.h; ++y) {
    for (int x = 0; x < o.w; ++x) {
      for (int ch = 0; ch < s.c; ++ch) {
        std::int32_t best = -32768;
        std::int64_t sum = 0;
        for (int r = 0; r < l.kh; ++r) {
          const int iy = y * l.stride - l.pad + r;
          if (iy < 0 || iy >= s.h) continue;
          for (int c = 0; c < l.kw; ++c) {
            const int ix = x * l.stride - l.pad + c;
            if (ix < 0 || ix >= s.w) continue;
            const std::int32_t v = in.data[(std::int64_t{iy} * s.w + ix) * s.c + ch];
            best = std::max(best, v);
            sum += v;
          }
        }
        emit((std::int64_t{y} * o.w + x) * o.c + ch, best, sum);
      }
    }
  }
}

}  // namespace

void max_pool(const IntTensor& in, const Layer& l, IntTensor& out) {
  out.data.assign(static_cast<std::size_t>(out.shape.elements()), 0);
  pool_windows(in, l, out.shape, [&](std::int64_t i, std::int32_t best, std::int64_t) {
    out.data[i] = static_cast<std::int16_t>(best);
  });
}

void avg_pool(const IntTensor& in, const Layer& l, const Requant& rq, std::int32_t lo,
              std::int32_t hi, IntTensor& out) {
  out.data.assign(static_cast<std::size_t>(out.shape.elements()), 0);
  pool_windows(in, l, out.shape, [&](std::int64_t i, std::int32_t, std::int64_t sum) {
    out.data[i] = static_cast<std::int16_t>(clamp_to(rq.apply(sum), lo, hi));
  });
}

void residual_add(const IntTensor& a, const IntTensor& b, const Requant2& rq, std::int32_t lo,
                  std::int32_t hi, IntTensor& out) {
  CONLOC_ASSERT(a.data.size() == b.data.size(), "reference", "add operands differ in size");
  out.data.resize(a.data.size());
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    out.data[i] = static_cast<std::int16_t>(clamp_to(rq.apply(a.data[i], b.data[i]), lo, hi));
  }
}

void relu(const IntTensor& in, std::int32_t lo, std::int32_t hi, IntTensor& out) {
  out.data.resize(in.data.size());
  for (std::size_t i = 0; i < in.data.size(); ++i) {
    out.data[i] = static_cast<std::int16_t>(clamp_to(in.data[i], lo, hi));
  }
}

}  // namespace conloc
