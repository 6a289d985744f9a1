#include "compute/csv_matrix.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

namespace grid {
namespace {

// A field as an error message quotes it: at most 40 bytes, control
// characters (a quoted field may hold a line end) escaped, so the message
// stays one line.
std::string excerpt(std::string_view f) {
  constexpr size_t kMaxBytes = 40;
  std::string out;
  for (char c : f.substr(0, kMaxBytes)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) {
      const char* digits = "0123456789abcdef";
      out += std::string("\\x") + digits[u >> 4] + digits[u & 15];
    } else out += c;
  }
  return f.size() > kMaxBytes ? out + "..." : out;
}

}  // namespace

CsvRecords::CsvRecords(std::string_view text, std::string name, char delimiter)
    : text_(text), name_(std::move(name)), delimiter_(delimiter) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
}

Error CsvRecords::error_at(size_t line, size_t column, const std::string& what) const {
  std::string where = name_ + " line " + std::to_string(line);
  if (column > 0) where += ", column " + std::to_string(column);
  return Error(Exit::data, where + ": " + what);
}

Error CsvRecords::error(size_t column, const std::string& what) const {
  return error_at(column > 0 && column <= lines_.size() ? lines_[column - 1] : line(), column, what);
}

bool CsvRecords::next() {
  while (pos_ < text_.size()) {
    read_record();
    if (!blank_) return true;
  }
  fields_.clear();
  lines_.clear();
  return false;
}

void CsvRecords::read_record() {
  fields_.clear();
  lines_.clear();
  unescaped_.clear();
  unescaped_field_.clear();
  bool quoted_any = false;
  // Spaces and tabs around a field are dropped, but never the delimiter.
  auto is_pad = [&](char c) { return (c == ' ' || c == '\t') && c != delimiter_; };
  auto skip_pad = [&] {
    while (pos_ < text_.size() && is_pad(text_[pos_])) ++pos_;
  };
  for (;;) {
    const size_t column = fields_.size() + 1;
    lines_.push_back(line_);
    skip_pad();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      quoted_any = true;
      const size_t start = ++pos_;
      bool doubled = false;
      size_t end;
      for (;;) {
        const size_t q = text_.find('"', pos_);
        if (q == std::string_view::npos) throw error_at(lines_.back(), column, "a quoted field is not closed");
        line_ += static_cast<size_t>(std::count(text_.begin() + pos_, text_.begin() + q, '\n'));
        if (q + 1 < text_.size() && text_[q + 1] == '"') {
          doubled = true;
          pos_ = q + 2;
          continue;
        }
        end = q;
        pos_ = q + 1;
        break;
      }
      std::string_view inside = text_.substr(start, end - start);
      if (doubled) {
        std::string s;
        for (size_t i = 0; i < inside.size(); ++i) {
          s += inside[i];
          if (inside[i] == '"') ++i;  // the second of a pair
        }
        unescaped_.push_back(std::move(s));
        unescaped_field_.push_back(fields_.size());
      }
      fields_.push_back(inside);
      skip_pad();
      if (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n' &&
          !(text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n')))
        throw error_at(line_, column, "text after the closing quote: '" + excerpt(text_.substr(pos_, 20)) +
                                          "' (a quote inside a quoted field is written twice: \"\")");
      if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    } else {
      size_t stop = pos_;
      bool quote = false;
      for (; stop < text_.size(); ++stop) {
        const char c = text_[stop];
        if (c == delimiter_ || c == '\n') break;
        quote |= c == '"';
      }
      std::string_view f = text_.substr(pos_, stop - pos_);
      pos_ = stop;
      if ((stop == text_.size() || text_[stop] == '\n') && !f.empty() && f.back() == '\r') f.remove_suffix(1);
      while (!f.empty() && is_pad(f.back())) f.remove_suffix(1);
      if (quote)
        throw error_at(line_, column, "a quote inside an unquoted field: '" + excerpt(f) +
                                          "' (quote the whole field and write the quote twice)");
      fields_.push_back(f);
    }
    if (pos_ < text_.size() && text_[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    if (pos_ < text_.size()) {  // at the '\n' ending the record
      ++pos_;
      ++line_;
    }
    break;
  }
  for (size_t i = 0; i < unescaped_.size(); ++i) fields_[unescaped_field_[i]] = unescaped_[i];
  blank_ = !quoted_any && fields_.size() == 1 && fields_[0].empty();
}

namespace {

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

Matrix parse_csv_matrix(std::string_view text, const std::string& name, std::vector<std::string>* header,
                        char delimiter) {
  CsvRecords records(text, name, delimiter);
  Matrix m;
  size_t cols = 0, rows = 0, first_line = 0;
  while (records.next()) {
    const std::vector<std::string_view>& fields = records.fields();
    if (first_line == 0) {
      first_line = records.line();
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
      throw records.error(0, "has " + std::to_string(fields.size()) + (fields.size() == 1 ? " field" : " fields") +
                                 ", line " + std::to_string(first_line) + " has " + std::to_string(cols));
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      float v = 0;
      switch (parse_number(fields[c], &v)) {
        case Parsed::number:
          break;
        case Parsed::empty:
          throw records.error(c + 1, "empty field");
        case Parsed::text:
          throw records.error(c + 1, "'" + excerpt(fields[c]) + "' is not a number");
        case Parsed::not_finite:
          throw records.error(c + 1, "'" + excerpt(fields[c]) + "' is not a finite number");
        case Parsed::too_large:
          throw records.error(c + 1, "'" + excerpt(fields[c]) + "' is beyond float32's range");
      }
      m.data.push_back(v);
    }
    ++rows;
  }
  if (rows == 0) throw Error(Exit::data, name + " has no rows of numbers");
  m.shape = {rows, cols};
  return m;
}

CsvLabels parse_csv_labels(std::string_view text, const std::string& name, size_t rows, char delimiter) {
  // A first pass says whether the labels are names; numbers are read as
  // any other CSV of numbers, so their classes never depend on this path.
  size_t records = 0;
  bool names = false;
  for (CsvRecords r(text, name, delimiter); r.next(); ++records) {
    if (records == 0) continue;
    float ignored;
    for (auto f : r.fields())
      if (parse_number(f, &ignored) == Parsed::text) names = true;
  }
  CsvLabels out;
  if (!names) {
    out.numbers = parse_csv_matrix(text, name, nullptr, delimiter);
    return out;
  }
  if (records != rows && records != rows + 1)
    throw Error(Exit::data, name + " has " + std::to_string(records) + " lines of class names, not " +
                                std::to_string(rows) + " (one a row of x) or " + std::to_string(rows + 1) +
                                " (a header line and one a row)");
  CsvRecords r(text, name, delimiter);
  if (records == rows + 1) r.next();
  std::unordered_map<std::string, int32_t> index;
  while (r.next()) {
    const std::vector<std::string_view>& fields = r.fields();
    if (fields.size() != 1)
      throw r.error(0, "has " + std::to_string(fields.size()) + " fields: class names are one a line");
    if (fields[0].empty()) throw r.error(1, "empty class name");
    auto [it, added] = index.emplace(std::string(fields[0]), static_cast<int32_t>(out.names.size()));
    if (added) out.names.emplace_back(fields[0]);
    out.classes.push_back(it->second);
  }
  return out;
}

}  // namespace grid
