#!/usr/bin/python3
"""The suite's mutation score (docs/testing.md): plants each mutant of MUTANTS (a plausible bug, one
at a time) in a separate worktree of HEAD, rebuilds incrementally and runs the suite without the
regression goldens and the README's printed blocks (snapshots too: `RunCli.ReadmeShows*`), without
`MutationScore.EveryMutantPlants` (a planted mutant's text is gone, so it fails for every one), and
without the RTL co-simulation, synthesis and fuzzing tests, which take minutes each and test the
generated Verilog, not the simulator's figures. A mutant is killed
when some test fails, survives when all pass; one that does not build is reported and not counted.
Prints a Markdown table and the score.

usage: /usr/bin/python3 scripts/mutation_score.py [--tree DIR] [--only N,N...] [-j JOBS]
       /usr/bin/python3 scripts/mutation_score.py --check
  --tree DIR: where the worktree goes (default: a temporary folder; kept with --keep)
  --check: only check that every mutant's text occurs exactly once in the checkout (a test runs
           it: code that moves under a mutant is caught when it moves, not at the next run)
about 1.5 minutes per mutant on 2 cores (a header mutant more)
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

# (module, file, original text (exactly one occurrence), mutated text, what the bug is)
MUTANTS = [
    ("arith", "modules/arith/requant.cpp",
     "double m = std::round(r * std::ldexp(1.0, shift));",
     "double m = std::floor(r * std::ldexp(1.0, shift));",
     "requantisation multiplier rounded down instead of to nearest"),
    ("arith", "modules/arith/requant.h",
     "return (x * mult + (std::int64_t{1} << (shift - 1))) >> shift;",
     "return (x * mult) >> shift;",
     "requantisation truncates instead of rounding half up"),
    ("arith", "modules/arith/level_quantizer.cpp",
     "const double centre = 0.5 * static_cast<double>(i) + 0.25;",
     "const double centre = 0.5 * static_cast<double>(i) - 0.25;",
     "nearest-level table built from the half-level bin below (the mutant centre = i/2 was "
     "equivalent: ties round up, so a bin's lower edge has the bin's nearest level)"),
    ("arith", "modules/arith/fixed_point_mac.cpp",
     "  if (code == 0) {\n    a.gated = 1;\n    return a;\n  }",
     "  if (code == 0) {\n    return a;\n  }",
     "zero weights not counted as gated operations"),
    ("arith", "modules/arith/elp_bsd_mac.cpp",
     "a.negates = static_cast<std::uint64_t>(t);",
     "a.negates = static_cast<std::uint64_t>(t > 0 ? t - 1 : 0);",
     "one ELP_BSD negation per weight not counted"),
    ("pe_array", "modules/dataflow/weight_stationary.cpp",
     "const std::int64_t per_fold = g.m + a.rows - 2 + (a.scalesim ? a.rows : 0);",
     "const std::int64_t per_fold = g.m + a.rows - 1 + (a.scalesim ? a.rows : 0);",
     "WS fold one cycle too long"),
    ("pe_array", "modules/dataflow/weight_stationary.cpp",
     "t.input_reads = m * k * static_cast<std::uint64_t>(nf);",
     "t.input_reads = m * k;",
     "WS activation reads counted once instead of per column fold"),
    ("pe_array", "modules/dataflow/weight_stationary.cpp",
     "t.acc_reads = m * n * static_cast<std::uint64_t>(kf - 1);",
     "t.acc_reads = m * n * static_cast<std::uint64_t>(kf);",
     "accumulator read on the first row fold too"),
    ("pe_array", "modules/dataflow/output_stationary.cpp",
     "if (g.last_in_layer && !a.scalesim) t.cycles += static_cast<std::uint64_t>(last_ru);",
     "",
     "OS last drain not counted"),
    ("pe_array", "modules/dataflow/dataflow_model.cpp",
     "cycles(static_cast<double>(t.input_reads) * p.widths.activation_bits, p.input_bytes),",
     "cycles(static_cast<double>(t.input_reads) * 8, p.input_bytes),",
     "activation port counts 8-bit activations whatever their width"),
    ("controller", "modules/controller/job_engine.cpp",
     "      if (ready > start) start = ready;\n",
     "",
     "a job may start before its dependencies are done"),
    ("controller", "modules/controller/controller.cpp",
     "  r.start_cycle = ctx_.cycle_at(ctx_.layer_start);",
     "  r.start_cycle = ctx_.cycles_of(ctx_.layer_start);",
     "layer start times not relative to the accelerator's origin"),
    ("controller", "modules/controller/job_board.cpp",
     "  if (done_at > last_done_) last_done_ = done_at;",
     "",
     "a layer's end not waited for"),
    ("memory", "modules/memory/memory_target.cpp",
     "    counters.write_bits[op] += bits;",
     "    counters.read_bits[op] += bits;",
     "memory writes (DRAM and SRAM) counted as reads"),
    ("memory", "modules/memory/dram.cpp",
     "      latency_(params.clock_period * static_cast<double>(params.latency_cycles)) {",
     "      latency_(sc_core::SC_ZERO_TIME) {",
     "DRAM latency dropped"),
    ("dma", "modules/dma/dma_engine.cpp",
     "const std::uint32_t len = std::min(burst, x.run_bytes - off);",
     "const std::uint32_t len = burst;",
     "DMA moves a whole burst past the end of a run"),
    ("energy", "sim/energy/energy_cost.cpp",
     "    read_pj_per_bit[i] = em.sram_read_pj_per_bit(bank, 8 * b.port_bytes[i]);",
     "    read_pj_per_bit[i] = em.sram_write_pj_per_bit(bank, 8 * b.port_bytes[i]);",
     "SRAM reads priced at the write energy"),
    ("energy", "sim/energy/energy_cost.cpp",
     "  e.sram_leakage = leak_mw * ns;",
     "  e.sram_leakage = 0 * leak_mw * ns;",
     "SRAM leakage dropped"),
    ("energy", "sim/energy/energy_cost.cpp",
     "    const std::uint64_t bank = capacity[i] / static_cast<std::uint64_t>(b.banks[i]);",
     "    const std::uint64_t bank = capacity[i];",
     "a banked buffer's access priced at the whole capacity"),
    ("energy", "sim/energy/energy_cost.cpp",
     "    if (cn.calibrated && ws) pes = measure_pe_toggles(cn, static_cast<int>(i), cfg.array.rows);",
     "    if (cn.calibrated && ws) pes = measure_pe_toggles(cn, static_cast<int>(i), 16);",
     "operand toggles sampled for a fixed 16-row array"),
    ("energy", "sim/energy/mac_characterisation.cpp",
     "  return gated * zero_pj + (static_cast<double>(a.ops) - gated) * other_pj;",
     "  return static_cast<double>(a.ops) * other_pj;",
     "characterised energy prices zero weights as non-zero ones"),
    ("mapping", "sim/mapping/mapper.cpp",
     "      if (!chosen || c.objective < chosen->objective ||",
     "      if (!chosen || c.objective > chosen->objective ||",
     "the mapper keeps the worst candidate"),
    ("mapping", "sim/mapping/mapper.cpp",
     "                : groups * std::max(0.0, (drain - array / groups) / 2.0);",
     "                : 0.0;",
     "the mapper's estimate loses its double-buffer output waits"),
    ("reference", "sim/reference/reference_ops.cpp",
     "        const int iy = oy * l.stride_h - l.pad_t + r * l.dil_h;",
     "        const int iy = oy * l.stride_h + r * l.dil_h;",
     "reference depthwise convolution ignores top padding"),
    ("layers", "modules/layers/kinds/pooling.cpp",
     "            pb[ch] = std::max(pb[ch], p[ch]);",
     "            pb[ch] = std::min(pb[ch], p[ch]);",
     "reference max pooling takes the minimum"),
    ("layers", "modules/layers/kinds/pooling.cpp",
     "      cl.pool_rq = Requant::from_real(1.0 / (c.layer.kh * c.layer.kw));",
     "      cl.pool_rq = Requant::from_real(1.0 / (c.layer.kh * c.layer.kw + 1));",
     "average pooling divides by one too many"),
    ("quant", "sim/quant/compiler.cpp",
     "      if (need_err) cl_.comp[r] = static_cast<std::int32_t>(std::llround(comp));",
     "      if (need_err) cl_.comp[r] = -static_cast<std::int32_t>(std::llround(comp));",
     "output-constant compensation with the wrong sign"),
    ("quant", "sim/quant/compiler.cpp",
     "  if (!calibrate) key[\"weight_sample\"] = s.weight_sample;",
     "",
     "the compile key ignores the weight sample"),
    ("workload", "sim/workload/weight_source.cpp",
     "  Rng rng(seed_ * 31ull + 5 + static_cast<std::uint64_t>(image) * 1000003ull);",
     "  Rng rng(seed_ * 31ull + 5);",
     "every image of a batch is the same synthetic image"),
    ("workload", "sim/workload/workload.cpp",
     "                         {\"seed\", seed},\n",
     "",
     "a workload's identity ignores the seed (sweeps share networks across seeds)"),
    ("run", "sim/run/pipeline.cpp",
     "  r.cycles = res.cycles;",
     "  r.cycles = st.compute_cycles;",
     "a layer's cycles reported without its stalls"),
    ("sweep", "sim/sweep/sweep_runner.cpp",
     "  c[\"design\"].erase(cfg.design.mac == MacKind::ElpBsd ? \"fixed\" : \"elp\");",
     "  c[\"design\"].erase(\"elp\");",
     "a sweep treats ELP_BSD designs that differ in format as the same run"),
    ("sweep", "sim/sweep/sweep_results.cpp",
     "{\"energy\", ratio(e, be)}",
     "{\"energy\", ratio(be, e)}",
     "the energy ratio to the baseline inverted"),
    ("config", "sim/config/sim_config.cpp",
     "  c.batch = static_cast<int>(num(p, \"workload.batch\"));",
     "  c.batch = 1 + 0 * static_cast<int>(num(p, \"workload.batch\"));",
     "workload.batch ignored"),
    # 35-40: the layer norm, the input-stationary dataflow and the NHWC folding (2026-12-05).
    ("layers", "modules/layers/kinds/layernorm.cpp",
     "std::round(cube * l.alpha",
     "std::round(ch * ch * l.alpha",
     "layer norm's epsilon in codes scaled by C^2 instead of C^3"),
    ("layers", "modules/layers/kinds/layernorm.cpp",
     "floor_div(2 * d * cl.norm_gain + r, 2 * r)",
     "floor_div(2 * d * cl.norm_gain, 2 * r)",
     "layer norm's output codes truncated instead of rounded"),
    ("pe_array", "modules/dataflow/input_stationary.cpp",
     "  std::swap(r.weight_reads, r.input_reads);\n  std::swap(r.weight_reg_writes, r.act_reg_writes);\n  apply_port_limits(",
     "  std::swap(r.weight_reg_writes, r.act_reg_writes);\n  apply_port_limits(",
     "input stationary: weight and input reads of the transposed array not swapped back"),
    ("workload", "sim/workload/onnx_ops_gemm.cpp",
     "      axes = moved;\n",
     "",
     "a Transpose folded through keeps the old axes (the layer scale after a permute misread)"),
    ("mapping", "modules/dataflow/dataflow_model.h",
     "  std::int64_t channels_per_fold(ArrayDims) const override {\n"
     "    return std::numeric_limits<std::int64_t>::max();\n  }\n",
     "",
     "the greedy rule splits an input-stationary layer's channels into column folds"),
    ("energy", "sim/energy/energy_cost.cpp",
     "if (dataflow != Dataflow::OutputStationary) pj += p.psum_pass",
     "if (dataflow == Dataflow::WeightStationary) pj += p.psum_pass",
     "zero weights' partial-sum pass not charged on input-stationary columns"),
    ("dma", "modules/dma/dma_engine.cpp",
     "auto& far = x.on_chip ? sram_socket[static_cast<int>(Buffer::Activations)] : dram_socket;",
     "auto& far = dram_socket;",
     "a resident tensor's transfers go to DRAM instead of the activation SRAM"),
    ("controller", "modules/controller/layer_plan.cpp",
     "q.resident[t] = window[t] - lo * row - image;",
     "q.resident[t] = window[t] + 1 - lo * row - image;",
     "a depth-first window addressed one byte off"),
    ("controller", "modules/controller/layer_plan.cpp",
     "if (grp.cached && done[t] > rows[t].first && rows[t].first > held[t]) {",
     "if (false && done[t] > rows[t].first && rows[t].first > held[t]) {",
     "a cached depth-first group keeps its rows without moving them to the window's start"),
    ("mapping", "sim/mapping/mapper.cpp",
     "t.activation_sram.write_bits[O] = c.onchip_output_bits;",
     "t.activation_sram.write_bits[O] = 0;",
     "the mapper prices a resident result's write into the activation SRAM as free"),
    ("controller", "modules/controller/layer_plan.cpp",
     "u.params.weights_loaded = pin_weights && (b > 0 || img > 0);",
     "u.params.weights_loaded = false;",
     "a depth-first group's pinned weights are loaded again by every band"),
    ("arith", "modules/arith/elp_lut_mac.cpp",
     "return (sign << (pb - 1)) | index;",
     "return (sign << (b - 1)) | index;",
     "a narrower ELP_BSD layer's sign left at its own top bit in the PE code"),
    ("arith", "modules/arith/elp_lut_mac.h",
     "pe_.max_position() + 1",
     "format_.max_position() + 1",
     "a layer on a loadable-decoder PE priced on its own format's shifters"),
    ("arith", "modules/arith/elp_lut_mac.cpp",
     "static_cast<double>(format_.magnitudes().size()) * pe_.decoded_bits();",
     "static_cast<double>(format_.magnitudes().size()) * format_.decoded_bits();",
     "a hosted layer's decoder table load counted at its own field width"),
    ("config", "sim/config/sim_config.cpp",
     "if (f.compensation) d.compensation = *f.compensation;",
     "",
     "a layer's own compensation (LAYER=FORMAT/COMPENSATION) ignored"),
    ("optimize", "sim/cli/cmd_optimize.cpp",
     'j["energy_vs_best_fixed_mixed"] = ratio(s.best_fixed_mixed);',
     'j["energy_vs_best_fixed_mixed"] = ratio(s.best_uniform_fixed);',
     "optimize's ELP_BSD contribution measured against the best uniform fixed-point design"),
    ("mapping", "sim/mapping/mapper.cpp",
     "                                     cn_.code_bits(static_cast<std::size_t>(layer))};",
     "                                     0};",
     "layers of one shape but different code widths share the mapper's candidates and bounds"),
    ("mapping", "sim/mapping/mapper.cpp",
     "            b.cycles, static_cast<double>(b.counts.outputs)};",
     "            4 * b.cycles, static_cast<double>(b.counts.outputs)};",
     "the mapper's lower bound is not one (its cycles four times the candidate's)"),
    ("run", "sim/quant/compiled_io.cpp",
     "                                       std::move(levels));",
     "                                       {});",
     "a cached per-layer level set is not restored (the layer gets the design's default set)"),
    ("run", "sim/quant/compiled_io.cpp",
     "if (t.pod<std::uint64_t>() != sum) {",
     "if (false) {",
     "a cache file's checksum is not checked (a damaged file is used)"),
    ("run", "sim/run/compile_cache.cpp",
     "    files.push_back({f, content_hash(f)});",
     "    files.push_back({f, \"\"});",
     "the cache key holds a workload file's name but not its contents"),
    ("run", "sim/quant/compiled_io.cpp",
     "  w.vec(l.comp);",
     "  w.vec(std::vector<std::int32_t>{});",
     "the compensation constants are not written to the cache file"),
    ("memory", "modules/memory/memory_target.cpp",
     "return addr + r / per_row * row_stride + r % per_row * stride; };",
     "return addr + r / per_row * row_stride + r % per_row * run; };",
     "a strided transaction moves its runs back to back (the stride ignored)"),
    ("memory", "modules/memory/dram.cpp",
     "while (it != busy_.end() && it->first < start + length) {",
     "while (it != busy_.end() && it->first < start) {",
     "the DRAM's gap search books over a booking that starts inside the burst"),
    ("memory", "modules/memory/dram.h",
     "busy_.back().second = start + length;",
     "busy_.back().second = start;",
     "a streaming burst that joins the last booking does not extend it (the bus looks free)"),
    ("dma", "modules/dma/dma_engine.cpp",
     "std::min<std::uint64_t>(bits_left, len == burst ? whole_share : tail_share);",
     "std::min<std::uint64_t>(bits_left, whole_share);",
     "a run's tail burst takes a whole burst's share of the transfer's bits"),
    ("dma", "modules/dma/dma_engine.cpp",
     "if (in_flight_ >= window) {",
     "if (in_flight_ + 1 >= window) {",
     "the DMA keeps one burst fewer in flight than dram.max_outstanding"),
    ("mapping", "modules/controller/layer_plan.cpp",
     "    } else if (total_bytes <= p_.weight_half_bytes || floor_) {",
     "    } else if (total_bytes <= p_.weight_half_bytes) {",
     "the mapper's class floor counts weights reloaded per band (above its members' in the other order)"),
    ("mapping", "sim/mapping/mapper.cpp",
     "    for (const std::uint32_t k : s.class_order) {\n      if (beaten(s.class_bound(k, mac_pj, objective))) continue;",
     "    for (const std::uint32_t k : s.class_order) {\n      if (beaten(s.class_bound(k, mac_pj, objective) * 2.0)) continue;",
     "the mapper skips a class of candidates whose bound is above half the best found (not a bound)"),
    ("mapping", "sim/mapping/mapper.cpp",
     "static_cast<std::int64_t>(p.weight_half_bytes),",
     "0,",
     "runs of different weight buffers share the mapper's counts (the planning key misses it)"),
    ("mapping", "sim/mapping/mapper.cpp",
     "      if (leaves_room(cn, chooser, q, lives, r)) {",
     "      if (true) {",
     "a depth-first group is taken although it leaves a layer outside it no room to run"),
    ("energy", "modules/arith/elp_lut_mac.cpp",
     "  return 2 * m + sign;",
     "  return index | sign << (pb - 1);",
     "a loadable decoder's MACs priced by code index, not by the level the entry holds"),
    ("arith", "modules/arith/level_set_search.cpp",
     "j <= slack + t - 1; ++j) {",
     "j + 1 <= slack + t - 1; ++j) {",
     "the level-set search misses the last candidate a level can take"),
    ("workload", "sim/config/sim_config.cpp",
     "    if (signed_digit_form(m, pe.positions, pe.terms).empty()) return std::nullopt;",
     "    if (signed_digit_form(m, pe.positions, pe.terms + 1).empty()) return std::nullopt;",
     "a fixed-point layer accepted on a loadable decoder with too few terms for its integers"),
    ("pe_array", "modules/dataflow/weight_stationary.cpp",
     "    r.psum_writes = outputs * k_folds;",
     "    r.psum_writes = outputs * (k_folds + 1);",
     "the weight-stationary array floor counts a psum write per tile too many (not a floor)"),
    ("dma", "modules/dma/dma_engine.cpp",
     "  next_issue = last + shift + period;",
     "  next_issue = last + shift + w.c + period;",
     "a DMA's waves leave the next burst a wave late"),
    ("sweep", "sim/run/pipeline.cpp",
     "         mac_circuit_fnv1a64(cfg) + \"/\" + cfg.energy_table_path;",
     "         mac_circuit_fnv1a64(cfg);",
     "a sweep's MAC prices shared across points of different energy tables"),
    ("planner", "modules/controller/layer_plan.cpp",
     "const std::uint64_t row_pitch = static_cast<std::uint64_t>(g_.sub_h) * src.w * c;",
     "const std::uint64_t row_pitch = static_cast<std::uint64_t>(src.w) * c;",
     "a subsampled input band reads consecutive rows, not every stride-th"),
    ("planner", "modules/controller/layer_plan.cpp",
     "ld.to = window[t] + (static_cast<std::uint64_t>(from) - lo) * row;",
     "ld.to = window[t];",
     "a line buffer loads a band's new rows over the rows it kept"),
    ("mapping", "modules/controller/layer_plan.cpp",
     "      if (r > fit) continue;",
     "      if (r != fit) continue;",
     "the greedy rule's bands ignore the split of the folds (equal bands waste OS / IS folds)"),
    ("planner", "modules/controller/layer_plan.cpp",
     "                std::uint64_t at = weights_at;",
     "                std::uint64_t at = weights_at + 64;",
     "a layer's jobs made on demand read its weights 64 bytes from where the plan put them"),
    ("compiler", "sim/quant/compiler.cpp",
     "      advance(trunk, source, at, state, trunks(trunk));",
     "      advance(trunk, source, std::min(at + 1, net.layers.size()), state, trunks(trunk));",
     "designs compiled together branch off the shared compile one layer late (their first "
     "changed layer compiled in the shared design's format)"),
    ("compiler", "sim/quant/compiler.cpp",
     "        if (!as_trunk(*spec_ptr, j)) return std::nullopt;",
     "        (void)as_trunk(*spec_ptr, j);",
     "designs compiled together take the shared design's prepared weights at layers where "
     "their format differs"),
    ("planner", "modules/controller/layer_plan.cpp",
     "  if (held > 0) bytes[out] = static_cast<std::uint8_t>(acc);",
     "  if (held > 4) bytes[out] = static_cast<std::uint8_t>(acc);",
     "a packed weight block loses its last byte when fewer than five of its bits are used"),
    ("arith", "modules/arith/mac_model.h",
     "      codes_[static_cast<std::size_t>(v + offset_)] = mac.encode(v);",
     "      codes_[static_cast<std::size_t>(v + offset_)] = mac.encode(v < 0 ? v + 1 : v);",
     "the code table gives a negative level the code of the level above it"),
    ("planner", "modules/controller/layer_plan.cpp",
     "    ah_.count = p_.halves(Buffer::Activations);",
     "    ah_.count = 2;",
     "a layer using the activation SRAM whole still alternates two halves (the second beyond "
     "the buffer, and loads no longer wait for the tile before)"),
    ("mapping", "sim/mapping/mapper.cpp",
     "             out_whole = whole & ConvMapping::bit(Buffer::Outputs);",
     "             out_whole = false;",
     "the mapper's estimate lets a whole output buffer's drain overlap compute as halves do"),
]
EXCLUDE = "Golden|Rtl\\.|Fuzz\\.|RunCli\\.ReadmeShows|MutationScore\\."


def run(cmd, cwd, log):
    with open(log, "a") as f:
        f.write(f"\n$ {cmd}\n")
        f.flush()
        return subprocess.run(cmd, shell=True, cwd=cwd, stdout=f, stderr=subprocess.STDOUT).returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tree")
    ap.add_argument("--only", help="comma-separated mutant numbers (1-based)")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    if a.check:
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        counts = [(n, path, open(os.path.join(src, path)).read().count(old))
                  for n, (_, path, old, _, _) in enumerate(MUTANTS, 1)]
        bad = [f"mutant {n} ({path}): its text occurs {c} times, not once"
               for n, path, c in counts if c != 1]
        print("\n".join(bad) or f"mutation_score: all {len(MUTANTS)} mutants plant", file=sys.stderr)
        return 1 if bad else 0
    repo = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()
    tree = a.tree or tempfile.mkdtemp(prefix="conloc-mutants-")
    if not os.path.exists(os.path.join(tree, ".git")):
        subprocess.check_call(["git", "-C", repo, "worktree", "add", "--detach", "-f", tree, "HEAD"],
                              stdout=subprocess.DEVNULL)
    # The worktree has no third_party models: use the checkout's.
    tp = os.path.join(tree, "third_party")
    if not os.path.exists(tp) and os.path.exists(os.path.join(repo, "third_party")):
        os.symlink(os.path.join(repo, "third_party"), tp)
    log = os.path.join(tree, "mutants.log")
    build = os.path.join(tree, "build")
    print(f"mutation_score: worktree {tree}, log {log}", file=sys.stderr, flush=True)
    if run(f"cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null && cmake --build build "
           f"-j{a.jobs}", tree, log) != 0:
        sys.exit("mutation_score: the unmutated tree does not build (see the log)")
    if run(f"ctest --test-dir build -j{a.jobs} -E '{EXCLUDE}'", tree, log) != 0:
        sys.exit("mutation_score: the unmutated suite fails (see the log)")
    only = {int(x) for x in a.only.split(",")} if a.only else None
    rows, killed, counted = [], 0, 0
    for n, (module, path, old, new, what) in enumerate(MUTANTS, 1):
        if only and n not in only:
            continue
        full = os.path.join(tree, path)
        text = open(full).read()
        if text.count(old) != 1:
            rows.append((n, module, what, f"not planted: the text occurs {text.count(old)} times"))
            continue
        t0 = time.time()
        open(full, "w").write(text.replace(old, new))
        try:
            if run(f"cmake --build build -j{a.jobs}", tree, log) != 0:
                rows.append((n, module, what, "does not build"))
                continue
            out = subprocess.run(f"ctest --test-dir build -j{a.jobs} -E '{EXCLUDE}' "
                                 "--stop-on-failure", shell=True, cwd=tree,
                                 capture_output=True, text=True).stdout
            failed = [ln.split(" - ")[1].split(" (")[0] for ln in out.splitlines()
                      if " - " in ln and "(Failed)" in ln]
            counted += 1
            if failed or "tests failed" in out and "0 tests failed" not in out:
                killed += 1
                rows.append((n, module, what, "killed by " + (failed[0] if failed else "a test")))
            else:
                rows.append((n, module, what, "SURVIVED"))
        finally:
            open(full, "w").write(text)
        print(f"mutant {n}: {rows[-1][3]} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    run(f"cmake --build build -j{a.jobs}", tree, log)  # leave the tree built unmutated
    print("| # | module | planted bug | result |")
    print("|---|---|---|---|")
    for n, module, what, result in rows:
        print(f"| {n} | {module} | {what} | {result} |")
    if counted:
        print(f"\nscore: {killed} of {counted} mutants killed ({100 * killed / counted:.0f} %) "
              "by the suite without the goldens")
    if not a.tree and not a.keep:
        subprocess.call(["git", "-C", repo, "worktree", "remove", "--force", tree])
        shutil.rmtree(tree, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
