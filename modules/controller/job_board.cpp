#include "modules/controller/run_context.h"

namespace conloc {

void JobBoard::reset(std::size_t jobs) {
  done_at_.assign(jobs, sc_core::SC_ZERO_TIME);
  scheduled_.assign(jobs, false);
  remaining_ = jobs;
  last_done_ = sc_core::sc_time_stamp();
}

void JobBoard::schedule(int id, const sc_core::sc_time& done_at) {
  const auto i = static_cast<std::size_t>(id);
  done_at_[i] = done_at;
  scheduled_[i] = true;
  --remaining_;
  if (done_at > last_done_) last_done_ = done_at;
  scheduled_event_.notify(sc_core::SC_ZERO_TIME);
}

bool JobBoard::ready_time(const JobDeps& deps, sc_core::sc_time& t) const {
  t = sc_core::SC_ZERO_TIME;
  for (int d : deps) {
    if (!scheduled_[static_cast<std::size_t>(d)]) return false;
    if (done_at_[static_cast<std::size_t>(d)] > t) t = done_at_[static_cast<std::size_t>(d)];
  }
  return true;
}

}  // namespace conloc
