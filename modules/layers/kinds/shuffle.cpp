// Channel shuffle on the vector unit (ShuffleNet: channels viewed as groups x C/groups, the two
// axes swapped). A permutation of each pixel's channels: nothing is computed, the cost is the
// memory traffic; the planner keeps a pixel's channels together (channel_blocks).
#include <algorithm>

#include "modules/layers/layer_kind.h"

namespace conloc {

namespace {

// Output channel c = j x groups + i reads input channel i x (C / groups) + j.
int source_channel(const Layer& l, const TensorShape& out, int c) {
  return (c % l.groups) * (out.c / l.groups) + c / l.groups;
}

}  // namespace

void define_shuffle_kinds(LayerKinds& kinds) {
  LayerKind k;
  k.name = "shuffle";
  k.summary = "channel shuffle: the channels' groups x C/groups view transposed (ShuffleNet)";
  k.channel_blocks = true;
  k.out_signed = [](const Layer&, const std::vector<bool>& s) { return bool{s[0]}; };
  k.element = [](const Layer& l, const CompiledLayer&, const TensorShape& out,
                 const IntOperands& in,
                 const ElementSite& s) { return in.at(0, s.y, s.x, source_channel(l, out, s.c)); };
  k.element_float = [](const Layer& l, const TensorShape& out, const FloatOperands& in,
                       const ElementSite& s) {
    return in.at(0, s.y, s.x, source_channel(l, out, s.c));
  };
  k.cells = [](const Layer&, const TensorShape&, std::uint64_t, int) { return CellCounts{}; };
  kinds.add(k);
}

}  // namespace conloc
