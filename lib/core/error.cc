#include "core/error.h"

namespace grid {

Error::Error(Exit code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

Error& Error::at_line(size_t line, const std::string& source) {
  if (line_ == 0) {
    line_ = line;
    source_ = source;
  }
  return *this;
}

Error& Error::at_field(const std::string& field) {
  if (field_.empty()) field_ = field;
  return *this;
}

std::string Error::describe() const {
  std::string where;
  if (line_ > 0) {
    where = "input line " + std::to_string(line_);
    if (!source_.empty() && source_ != "-") where += " of " + source_;
  }
  if (!field_.empty()) {
    if (!where.empty()) where += ", ";
    where += "field " + field_;
  }
  std::string out = what();
  if (!where.empty()) out += " (" + where + ")";
  return out;
}

}  // namespace grid
