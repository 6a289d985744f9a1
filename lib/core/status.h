// A verification outcome: ok, or the reason it is not.
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
