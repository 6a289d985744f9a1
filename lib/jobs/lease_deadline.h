// A lease's deadline, watched while its task runs: pay-settle gives the
// hold of a lease past its deadline back to the buyer whatever the verdict,
// so work that comes in late goes unpaid. job-run warns before the run when
// the deadline has already passed, and during it, once, when the pace it
// measures puts the finish past the deadline (doc/design.md, "Deadlines").
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace grid {

// How often a projection is made, in seconds of the run; the first is made
// this far in, so that a first step's warm-up does not speak for the run.
constexpr double kPaceCheckSeconds = 1.0;

// What a warning of lateness ends with: why it matters.
constexpr const char* kLateLeaseUnpaid =
    "pay-settle gives a lease's hold back to the buyer once its deadline has passed";

class DeadlineWatch {
 public:
  // `lease` names the lease in warnings; `deadline` is its deadline and
  // `start` the wall-clock time the run starts at, both in seconds since
  // the epoch; `warn` gets each warning's text.
  DeadlineWatch(std::string lease, int64_t deadline, double start, std::function<void(const std::string&)> warn);

  // Before the run: warns when the deadline is at or before the start.
  void before();
  // `done` of `total` units (`unit`: "steps", "rows") took `took` seconds,
  // and the run has taken `elapsed`: warns when the rest at that pace ends
  // past the deadline. Checked every kPaceCheckSeconds at most.
  void pace(int64_t done, int64_t total, const std::string& unit, double took, double elapsed);
  // After the run, `elapsed` seconds long: warns when it ended past the deadline.
  void finished(double elapsed);

  bool warned() const { return warned_; }

 private:
  void warn(const std::string& text);

  std::string lease_;
  int64_t deadline_;
  double start_;
  std::function<void(const std::string&)> warn_;
  double next_check_ = kPaceCheckSeconds;
  bool warned_ = false;  // one warning a lease: the first says it all
};

}  // namespace grid
