// Channel slice on the vector unit (ShuffleNet V2 splits each unit's input into two halves of its
// channels): output channel c is input channel channel0 + c. Nothing is computed, the cost is the
// memory traffic; the planner keeps a pixel's channels together (channel_blocks), so c + channel0
// addresses the loaded pixel.
#include "modules/layers/layer_kind.h"

namespace conloc {

void define_slice_kinds(LayerKinds& kinds) {
  LayerKind k;
  k.name = "slice";
  k.summary = "channels [channel_start, channel_start + out_channels) of the input (a split)";
  k.channel_blocks = true;
  k.out_signed = [](const Layer&, const std::vector<bool>& s) { return bool{s[0]}; };
  k.element = [](const Layer& l, const CompiledLayer&, const TensorShape&, const IntOperands& in,
                 const ElementSite& s) { return in.at(0, s.y, s.x, l.channel0 + s.c); };
  k.element_float = [](const Layer& l, const TensorShape&, const FloatOperands& in,
                       const ElementSite& s) { return in.at(0, s.y, s.x, l.channel0 + s.c); };
  k.cells = [](const Layer&, const TensorShape&, std::uint64_t, int) { return CellCounts{}; };
  kinds.add(k);
}

}  // namespace conloc
