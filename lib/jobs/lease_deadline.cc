#include "jobs/lease_deadline.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/timestamp.h"

namespace grid {
namespace {

// A time past the deadline, rounded up to the second: 0.2 s past is past it.
int64_t ceil_seconds(double at) { return static_cast<int64_t>(std::ceil(at)); }
// How late, to the nearest second but never "0 s": late is late.
std::string late_text(double seconds) { return duration_text(std::max(1.0, seconds)); }

}  // namespace

DeadlineWatch::DeadlineWatch(std::string lease, int64_t deadline, double start,
                             std::function<void(const std::string&)> warn)
    : lease_(std::move(lease)), deadline_(deadline), start_(start), warn_(std::move(warn)) {}

void DeadlineWatch::warn(const std::string& text) {
  if (warned_) return;
  warned_ = true;
  warn_("warning: lease " + lease_ + ": " + text + "; " + kLateLeaseUnpaid);
}

void DeadlineWatch::before() {
  if (start_ < static_cast<double>(deadline_)) return;
  warn("its deadline " + format_rfc3339(deadline_) + " had passed when this run started, " +
       late_text(start_ - deadline_) + " after it");
}

void DeadlineWatch::pace(int64_t done, int64_t total, const std::string& unit, double took, double elapsed) {
  if (warned_ || elapsed < next_check_ || done <= 0 || done >= total) return;
  next_check_ = elapsed + kPaceCheckSeconds;
  const double finish = start_ + elapsed + took * static_cast<double>(total - done) / static_cast<double>(done);
  if (finish <= static_cast<double>(deadline_)) return;
  warn("at its pace so far (" + std::to_string(done) + " of " + std::to_string(total) + " " + unit + " in " +
       duration_text(took) + ") it ends about " + format_rfc3339(ceil_seconds(finish)) + ", " +
       late_text(finish - deadline_) + " past its deadline " + format_rfc3339(deadline_));
}

void DeadlineWatch::finished(double elapsed) {
  const double end = start_ + elapsed;
  if (end <= static_cast<double>(deadline_)) return;
  warn("the run ended " + format_rfc3339(ceil_seconds(end)) + ", " + late_text(end - deadline_) +
       " past its deadline " + format_rfc3339(deadline_));
}

}  // namespace grid
