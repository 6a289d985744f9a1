// Which exit code a call fails with, for tests of the typed errors.
#pragma once

#include <functional>
#include <string>

#include "core/error.h"

namespace grid {

// Runs fn; returns the code of the Error it throws (Exit::ok if none), and
// its message into *message when given.
inline Exit code_of(const std::function<void()>& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return Exit::ok;
}

}  // namespace grid
