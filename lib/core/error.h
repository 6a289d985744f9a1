// Errors as values of one type, turned into exit codes (doc/design.md,
// "Exit codes") at a single place: grid::Tool::run.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

namespace grid {

enum class Exit : int {
  ok = 0,
  negative = 1,     // a verdict rejected, an order unfilled
  inconclusive = 3, // proof-check: no verdict rejected, but one could not decide
  usage = 64,
  data = 65,        // malformed or untrusted input
  no_input = 66,    // an input file or URL does not exist
  unavailable = 69, // a device or service is missing
  internal = 70,
  io = 74,          // a write failed, a file cannot be created
  temp_fail = 75,   // retry later
  interrupted = 130,
};

// Thrown by library code; carries the exit code and, once known, where in
// the input the problem was.
class Error : public std::runtime_error {
 public:
  Error(Exit code, const std::string& message);

  Exit code() const { return code_; }
  size_t line() const { return line_; }
  const std::string& field() const { return field_; }

  // Fill in the position unless a more precise one is already set.
  Error& at_line(size_t line, const std::string& source = "");
  Error& at_field(const std::string& field);

  // "message (input line N, field .a.b)"
  std::string describe() const;

 private:
  Exit code_;
  size_t line_ = 0;
  std::string source_;
  std::string field_;
};

inline Error data_error(const std::string& message, const std::string& field = "") {
  Error e(Exit::data, message);
  if (!field.empty()) e.at_field(field);
  return e;
}

// The reader of our stdout went away (EPIPE): end quietly.
struct BrokenPipe {};

}  // namespace grid
