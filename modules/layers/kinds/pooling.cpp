// Pooling on the vector unit: max and average over a sliding window, and the global average.
// Padded positions are skipped by the max and count as zero in the average, which divides by the
// full window (kh x kw) with one rescale (pool_rq = 1 / (kh kw)) into the input's scale.
#include <algorithm>
#include <limits>

#include "modules/arith/output_stage_cells.h"
#include "modules/base/multiversion.h"
#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

// The window of output (y, x) over input 0, padding excluded: calls visit(value) for each.
template <class T, class Visit>
void window(const Layer& l, const TensorShape& in, const Operands<T>& ops, const ElementSite& s,
            Visit visit) {
  for (int ky = 0; ky < l.kh; ++ky) {
    const int iy = s.y * l.stride_h - l.pad_t + ky;
    if (iy < 0 || iy >= in.h) continue;
    for (int kx = 0; kx < l.kw; ++kx) {
      const int ix = s.x * l.stride_w - l.pad_l + kx;
      if (ix < 0 || ix >= in.w) continue;
      visit(ops.at(0, iy, ix, s.c));
    }
  }
}

// Visits every output pixel with, per channel, the maximum and the sum of its window (as
// `window`). Channels are the inner loop, so the window walk is paid once per pixel and the
// per-channel work vectorises: the integer reference's fast path.
template <class Emit>
CONLOC_MULTIVERSION void pool_windows(const IntTensor& in, const Layer& l, const TensorShape& o,
                                      Emit emit) {
  const TensorShape& s = in.shape;
  const std::size_t c = static_cast<std::size_t>(s.c);
  thread_local std::vector<std::int16_t> best;
  thread_local std::vector<std::int32_t> sum;
  best.resize(c);
  sum.resize(c);
  for (int y = 0; y < o.h; ++y) {
    for (int x = 0; x < o.w; ++x) {
      std::fill(best.begin(), best.end(), std::int16_t{-32768});
      std::fill(sum.begin(), sum.end(), 0);
      std::int16_t* __restrict pb = best.data();
      std::int32_t* __restrict ps = sum.data();
      for (int r = 0; r < l.kh; ++r) {
        const int iy = y * l.stride_h - l.pad_t + r;
        if (iy < 0 || iy >= s.h) continue;
        for (int q = 0; q < l.kw; ++q) {
          const int ix = x * l.stride_w - l.pad_l + q;
          if (ix < 0 || ix >= s.w) continue;
          const std::int16_t* __restrict p = in.data.data() + (std::int64_t{iy} * s.w + ix) * s.c;
          for (std::size_t ch = 0; ch < c; ++ch) {
            pb[ch] = std::max(pb[ch], p[ch]);
            ps[ch] += p[ch];
          }
        }
      }
      emit((std::int64_t{y} * o.w + x) * o.c, pb, ps);
    }
  }
}

bool same_sign(const Layer&, const std::vector<bool>& in_signed) {
  return in_signed[0];
}

LayerKind pooling(LayerType type, const char* name, const char* summary) {
  LayerKind k;
  k.type = type;
  k.name = name;
  k.summary = summary;
  k.rows = RowReach::Window;
  k.out_signed = same_sign;
  return k;
}

}  // namespace

void define_pooling_kinds(LayerKinds& kinds) {
  LayerKind max = pooling(LayerType::MaxPool, "maxpool", "max over a sliding window");
  max.element = [](const Layer& l, const CompiledLayer&, const TensorShape&, const IntOperands& ops,
                   const ElementSite& s) {
    std::int32_t best = std::numeric_limits<std::int32_t>::min();
    window(l, ops.shape(0), ops, s, [&](std::int32_t v) { best = std::max(best, v); });
    return best;
  };
  max.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& ops,
                         const ElementSite& s) {
    float best = -std::numeric_limits<float>::infinity();
    window(l, ops.shape(0), ops, s, [&](float v) { best = std::max(best, v); });
    return best;
  };
  max.run_reference = [](const Layer& l, const CompiledLayer&,
                         const std::vector<IntTensor>& tensors, IntTensor& out) {
    out.data.resize(static_cast<std::size_t>(out.shape.elements()));
    const std::size_t c = static_cast<std::size_t>(out.shape.c);
    pool_windows(tensors[l.inputs[0]], l, out.shape,
                 [&](std::int64_t at, const std::int16_t* best, const std::int32_t*) {
                   std::copy(best, best + c, out.data.data() + at);
                 });
  };
  // One compare per window element.
  max.cells = [](const Layer&, const TensorShape&, std::uint64_t ops, int act_bits) {
    return add_cells(act_bits + 1) * static_cast<double>(ops);
  };
  kinds.add(max);

  // Average and global average: the sum over the window, then one rescale per output.
  auto average = [](LayerKind k) {
    k.calibrate = [](const KindCalibration& c, CompiledLayer& cl) {
      cl.pool_rq = Requant::from_real(1.0 / (c.layer.kh * c.layer.kw));
      return c.in_scale(0);
    };
    k.element = [](const Layer& l, const CompiledLayer& cl, const TensorShape&,
                   const IntOperands& ops, const ElementSite& s) {
      std::int64_t sum = 0;
      window(l, ops.shape(0), ops, s, [&](std::int32_t v) { sum += v; });
      return clamp_to(cl.pool_rq.apply(sum), cl.out_lo, cl.out_hi);
    };
    k.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& ops,
                         const ElementSite& s) {
      float sum = 0.0f;
      window(l, ops.shape(0), ops, s, [&](float v) { sum += v; });
      return sum / static_cast<float>(l.kh * l.kw);
    };
    k.run_reference = [](const Layer& l, const CompiledLayer& cl,
                         const std::vector<IntTensor>& tensors, IntTensor& out) {
      out.data.resize(static_cast<std::size_t>(out.shape.elements()));
      const std::size_t c = static_cast<std::size_t>(out.shape.c);
      pool_windows(tensors[l.inputs[0]], l, out.shape,
                   [&](std::int64_t at, const std::int16_t*, const std::int32_t* sum) {
                     for (std::size_t ch = 0; ch < c; ++ch)
                       out.data[at + ch] = static_cast<std::int16_t>(
                           clamp_to(cl.pool_rq.apply(sum[ch]), cl.out_lo, cl.out_hi));
                   });
    };
    // 24-bit sums, then the output stage's rescale per output.
    k.cells = [](const Layer& l, const TensorShape&, std::uint64_t ops, int act_bits) {
      CellCounts c = add_cells(24) * static_cast<double>(ops);
      c += output_stage_cells(24, act_bits) * static_cast<double>(ops / ops_per_element(l));
      return c;
    };
    return k;
  };
  kinds.add(average(pooling(LayerType::AvgPool, "avgpool", "average over a sliding window")));
  kinds.add(average(pooling(LayerType::GlobalAvgPool, "gap",
                            "global average pooling (the window covers the input)")));
}

}  // namespace conloc
