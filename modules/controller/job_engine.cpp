#include "modules/controller/job_engine.h"

#include <cmath>

namespace conloc {

JobEngine::JobEngine(const sc_core::sc_module_name& name, RunContext& ctx, Engine kind)
    : sc_module(name), ctx_(ctx), kind_(kind) {
  SC_THREAD(run);
}

void JobEngine::start_layer() {
  new_plan();
  pending_ = true;
  work_.notify(sc_core::SC_ZERO_TIME);
}

void JobEngine::run() {
  qk_.reset();
  while (true) {
    qk_.sync();
    if (!pending_) wait(work_);
    pending_ = false;
    const std::vector<Job>& jobs = *ctx_.jobs;
    const bool is_compute = kind_ == Engine::PeArray || kind_ == Engine::VectorUnit;
    sc_core::sc_time prev_free = now();
    for (std::size_t id = 0; id < jobs.size(); ++id) {
      const Job& job = jobs[id];
      if (job.engine != kind_) continue;
      sc_core::sc_time ready;
      while (!ctx_.board.ready_time(job.deps, ready)) {
        // A dependency has not been executed by its engine yet: catch up with simulated time
        // (re-checking afterwards, another engine may have run meanwhile), then wait until some
        // engine records a completion.
        if (qk_.get_local_time() > sc_core::SC_ZERO_TIME) {
          qk_.sync();
          continue;
        }
        wait(ctx_.board.scheduled_event());
      }
      sc_core::sc_time start = now();
      if (ready > start) start = ready;
      if (prev_free > start) start = prev_free;
      if (is_compute) {
        ctx_.stats.stall_cycles +=
            static_cast<std::uint64_t>(std::llround(ctx_.cycles_of(start - prev_free)));
      }
      const Timing t = execute(job, start);
      ctx_.board.schedule(static_cast<int>(id), t.done);
      if (ctx_.record_trace)
        ctx_.trace.push_back({kind_, ctx_.layer, ctx_.cycle_at(start), ctx_.cycle_at(t.done)});
      prev_free = t.free_at;
      qk_.set(t.free_at - sc_core::sc_time_stamp());
      if (qk_.need_sync()) qk_.sync();
    }
  }
}

}  // namespace conloc
