#include "compute/csv_matrix.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "core/error.h"

namespace grid {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t comma = line.find(',');
    out.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    line.remove_prefix(comma + 1);
  }
}

enum class Parsed { number, empty, text, not_finite, too_large };

// Whether the decimal number `s` (as from_chars accepted it) is at least 1
// in magnitude, read from its digits: a value beyond float32's range is
// also often beyond double's (1e400), so no parse into either can say.
bool at_least_one(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  const size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  // The power of ten of the first non-zero digit, before the exponent.
  const size_t point = std::min(mantissa.find('.'), mantissa.size());
  const size_t lead = mantissa.find_first_of("123456789");
  if (lead == std::string_view::npos) return false;
  long long power = lead < point ? static_cast<long long>(point - lead - 1) : -static_cast<long long>(lead - point);
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    const bool minus = !exp.empty() && exp.front() == '-';
    if (!exp.empty() && (exp.front() == '-' || exp.front() == '+')) exp.remove_prefix(1);
    long long x = 0;
    for (char c : exp) x = std::min(x * 10 + (c - '0'), 1000000000LL);  // saturates: only the sign matters
    power += minus ? -x : x;
  }
  return power >= 0;
}

Parsed parse_number(std::string_view f, float* out) {
  if (f.empty()) return Parsed::empty;
  std::string_view digits = f;
  if (digits.front() == '+') {  // from_chars takes '-' but not '+'
    digits.remove_prefix(1);
    if (digits.empty() || digits.front() == '+' || digits.front() == '-') return Parsed::text;
  }
  const char* end = digits.data() + digits.size();
  auto r = std::from_chars(digits.data(), end, *out);
  if (r.ptr != end || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range)) return Parsed::text;
  if (r.ec == std::errc::result_out_of_range) {
    if (at_least_one(digits)) return Parsed::too_large;
    *out = digits.front() == '-' ? -0.0f : 0.0f;  // below the smallest float32: zero, signed
    return Parsed::number;
  }
  if (!std::isfinite(*out)) return Parsed::not_finite;
  return Parsed::number;
}

}  // namespace

Matrix parse_csv_matrix(std::string_view text, const std::string& name, std::vector<std::string>* header) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  Matrix m;
  size_t cols = 0, rows = 0, first_line = 0, line_no = 0;
  auto fail = [&](size_t column, const std::string& what) -> Error {
    std::string where = name + " line " + std::to_string(line_no);
    if (column > 0) where += ", column " + std::to_string(column);
    return Error(Exit::data, where + ": " + what);
  };
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) continue;
    if (size_t q = line.find('"'); q != std::string_view::npos)
      throw fail(split_fields(line.substr(0, q)).size(), "quoted fields are not supported");
    std::vector<std::string_view> fields = split_fields(line);
    if (first_line == 0) {
      first_line = line_no;
      cols = fields.size();
      float ignored;
      bool is_header = false;
      for (auto f : fields)
        if (!f.empty() && parse_number(f, &ignored) == Parsed::text) is_header = true;
      if (is_header) {
        if (header)
          for (auto f : fields) header->emplace_back(f);
        continue;
      }
    } else if (fields.size() != cols) {
      throw fail(0, "has " + std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields") + ", line " +
                        std::to_string(first_line) + " has " + std::to_string(cols));
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      float v = 0;
      switch (parse_number(fields[c], &v)) {
        case Parsed::number:
          break;
        case Parsed::empty:
          throw fail(c + 1, "empty field");
        case Parsed::text:
          throw fail(c + 1, "'" + std::string(fields[c].substr(0, 40)) + "' is not a number");
        case Parsed::not_finite:
          throw fail(c + 1, "'" + std::string(fields[c]) + "' is not a finite number");
        case Parsed::too_large:
          throw fail(c + 1, "'" + std::string(fields[c]) + "' is beyond float32's range");
      }
      m.data.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw Error(Exit::data, name + " has no rows of numbers");
  m.shape = {rows, cols};
  return m;
}

}  // namespace grid
