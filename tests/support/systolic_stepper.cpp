#include "tests/support/systolic_stepper.h"

#include <algorithm>

namespace conloc::test {

namespace {

struct Reg {
  bool valid = false;
  std::int64_t value = 0;
  int tag = -1;  // output row (WS: m) or reduction index (OS: k) the value belongs to
};

}  // namespace

StepperResult step_weight_stationary(const std::vector<std::int32_t>& a,
                                     const std::vector<std::int32_t>& w,
                                     const std::vector<int>& mac_cycles, int m, int k, int n,
                                     int rows, int cols) {
  StepperResult res;
  res.out.assign(static_cast<std::size_t>(m) * n, 0);
  bool first = true;
  for (int n0 = 0; n0 < n; n0 += cols) {
    for (int k0 = 0; k0 < k; k0 += rows) {
      const int ru = std::min(rows, k - k0), cu = std::min(cols, n - n0);
      // Weight load: one row per cycle shifts in from the top. Double buffering hides every load
      // behind the previous fold except the very first.
      if (first) res.cycles += static_cast<std::uint64_t>(ru);
      first = false;
      std::vector<std::int64_t> pw(static_cast<std::size_t>(rows) * cols, 0);
      int slowest = 1;
      for (int r = 0; r < ru; ++r) {
        for (int c = 0; c < cu; ++c) {
          pw[r * cols + c] = w[(k0 + r) * n + n0 + c];
          slowest = std::max(slowest, mac_cycles[(k0 + r) * n + n0 + c]);
        }
      }
      std::vector<Reg> act(static_cast<std::size_t>(rows) * cols), psum(act.size());
      int last_emit = -1;
      for (int t = 0; t < m + rows + cols + 4; ++t) {
        std::vector<Reg> nact(act.size()), npsum(act.size());
        for (int r = 0; r < rows; ++r) {
          for (int c = 0; c < cu; ++c) {
            Reg in;
            if (c == 0) {
              const int mi = t - r;  // row r's input stream is delayed by r steps
              if (mi >= 0 && mi < m) in = {true, r < ru ? a[mi * k + k0 + r] : 0, mi};
            } else {
              in = act[r * cols + c - 1];
            }
            nact[r * cols + c] = in;
            Reg above = r == 0 ? Reg{} : psum[(r - 1) * cols + c];
            if (in.valid) {
              // Row 0 starts the sum; lower rows add to what arrives from above.
              const std::int64_t base = r == 0 ? 0 : above.value;
              npsum[r * cols + c] = {true, base + in.value * pw[r * cols + c], in.tag};
            }
          }
        }
        act = nact;
        psum = npsum;
        for (int c = 0; c < cu; ++c) {
          const Reg& o = psum[(rows - 1) * cols + c];
          if (o.valid) {
            res.out[o.tag * n + n0 + c] += o.value;
            last_emit = t;
          }
        }
      }
      res.cycles += static_cast<std::uint64_t>(last_emit + 1) * static_cast<std::uint64_t>(slowest);
    }
  }
  return res;
}

StepperResult step_output_stationary(const std::vector<std::int32_t>& a,
                                     const std::vector<std::int32_t>& w,
                                     const std::vector<int>& mac_cycles, int m, int k, int n,
                                     int rows, int cols) {
  StepperResult res;
  res.out.assign(static_cast<std::size_t>(m) * n, 0);
  int last_ru = 0;
  for (int m0 = 0; m0 < m; m0 += rows) {
    const int ru = std::min(rows, m - m0);
    last_ru = ru;
    for (int n0 = 0; n0 < n; n0 += cols) {
      const int cu = std::min(cols, n - n0);
      int slowest = 1;
      for (int kk = 0; kk < k; ++kk) {
        for (int c = 0; c < cu; ++c)
          slowest = std::max(slowest, mac_cycles[kk * n + n0 + c]);
      }
      std::vector<Reg> act(static_cast<std::size_t>(rows) * cols), wt(act.size());
      std::vector<std::int64_t> accum(act.size(), 0);
      int last_mac = -1;
      for (int t = 0; t < k + rows + cols + 4; ++t) {
        std::vector<Reg> nact(act.size()), nwt(act.size());
        for (int r = 0; r < ru; ++r) {
          for (int c = 0; c < cu; ++c) {
            Reg ain, win;
            if (c == 0) {
              const int kk = t - r;
              if (kk >= 0 && kk < k) ain = {true, a[(m0 + r) * k + kk], kk};
            } else {
              ain = act[r * cols + c - 1];
            }
            if (r == 0) {
              const int kk = t - c;
              if (kk >= 0 && kk < k) win = {true, w[kk * n + n0 + c], kk};
            } else {
              win = wt[(r - 1) * cols + c];
            }
            nact[r * cols + c] = ain;
            nwt[r * cols + c] = win;
            if (ain.valid && win.valid && ain.tag == win.tag) {
              accum[r * cols + c] += ain.value * win.value;
              last_mac = t;
            }
          }
        }
        act = nact;
        wt = nwt;
      }
      for (int r = 0; r < ru; ++r) {
        for (int c = 0; c < cu; ++c)
          res.out[(m0 + r) * n + n0 + c] = accum[r * cols + c];
      }
      res.cycles += static_cast<std::uint64_t>(last_mac + 1) * static_cast<std::uint64_t>(slowest);
    }
  }
  // The last fold's results drain down the columns, one row per cycle.
  res.cycles += static_cast<std::uint64_t>(last_ru);
  return res;
}

StepperResult step_input_stationary(const std::vector<std::int32_t>& a,
                                    const std::vector<std::int32_t>& w, const std::vector<int>&,
                                    int m, int k, int n, int rows, int cols) {
  StepperResult res;
  res.out.assign(static_cast<std::size_t>(m) * n, 0);
  bool first = true;
  for (int m0 = 0; m0 < m; m0 += cols) {
    for (int k0 = 0; k0 < k; k0 += rows) {
      const int ru = std::min(rows, k - k0), cu = std::min(cols, m - m0);
      // Input load: one row of activations per cycle shifts in from the top; the PEs double-buffer
      // them, so only the very first load is exposed.
      if (first) res.cycles += static_cast<std::uint64_t>(ru);
      first = false;
      std::vector<std::int64_t> pa(static_cast<std::size_t>(rows) * cols, 0);
      for (int r = 0; r < ru; ++r) {
        for (int c = 0; c < cu; ++c)
          pa[r * cols + c] = a[(m0 + c) * k + k0 + r];
      }
      std::vector<Reg> wt(static_cast<std::size_t>(rows) * cols), psum(wt.size());
      int last_emit = -1;
      for (int t = 0; t < n + rows + cols + 4; ++t) {
        std::vector<Reg> nwt(wt.size()), npsum(wt.size());
        for (int r = 0; r < rows; ++r) {
          for (int c = 0; c < cu; ++c) {
            Reg in;
            if (c == 0) {
              const int nn = t - r;  // row r's weight stream is delayed by r steps
              if (nn >= 0 && nn < n) in = {true, r < ru ? w[(k0 + r) * n + nn] : 0, nn};
            } else {
              in = wt[r * cols + c - 1];
            }
            nwt[r * cols + c] = in;
            const Reg above = r == 0 ? Reg{} : psum[(r - 1) * cols + c];
            if (in.valid) {
              const std::int64_t base = r == 0 ? 0 : above.value;
              npsum[r * cols + c] = {true, base + in.value * pa[r * cols + c], in.tag};
            }
          }
        }
        wt = nwt;
        psum = npsum;
        for (int c = 0; c < cu; ++c) {
          const Reg& o = psum[(rows - 1) * cols + c];
          if (o.valid) {
            res.out[(m0 + c) * n + o.tag] += o.value;
            last_emit = t;
          }
        }
      }
      res.cycles += static_cast<std::uint64_t>(last_emit + 1);
    }
  }
  return res;
}

}  // namespace conloc::test
