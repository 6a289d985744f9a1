// The one "ok, or why not" value, for expected outcomes that are not
// failures: a signature that does not verify, a bid or quorum vote that
// does not count, a price script or policy that makes no price. Failures
// are thrown as Error with their exit code (error.h), never returned as a
// Status. A value that comes with ok (a price, a signer) is a field or
// out-parameter of the caller's, set when ok.
#pragma once

#include <string>
#include <utility>

namespace grid {

class Status {
 public:
  static Status Ok() { return Status(); }
  static Status Fail(std::string reason) { return Status(std::move(reason)); }

  bool ok() const { return ok_; }
  const std::string& reason() const { return reason_; }

 private:
  Status() = default;
  explicit Status(std::string reason) : ok_(false), reason_(std::move(reason)) {}
  bool ok_ = true;
  std::string reason_;
};

}  // namespace grid
