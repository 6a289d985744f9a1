#include "lease_json.h"

#include <charconv>
#include <cstdint>

#include "jsonl.h"

namespace grid {
namespace {

// Nesting deeper than this is left to the general parser (no recursion
// limit there); market messages nest a few levels.
constexpr int kMaxDepth = 64;

// A recursive-descent parser of a subset of JSON. Every method returns
// false for anything outside the subset, valid JSON or not; the caller
// then parses the whole line again with the general parser. Within the
// subset it builds what nlohmann's parser builds: the same types
// (unsigned for non-negative integers, integer for negative ones, float
// with a fraction or exponent), the last of duplicate keys.
class PlainParser {
 public:
  PlainParser(const char* begin, const char* end) : p_(begin), end_(end) {}

  bool parse(json* out) {
    skip_space();
    if (p_ == end_ || *p_ != '{') return false;
    if (!value(out, 0)) return false;
    skip_space();
    return p_ == end_;
  }

 private:
  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool literal(const char* word, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    for (size_t i = 0; i < n; ++i)
      if (p_[i] != word[i]) return false;
    p_ += n;
    return true;
  }

  // ASCII without control characters and DEL; escapes other than \uXXXX.
  bool string(std::string* out) {
    ++p_;  // the opening quote
    for (;;) {
      const char* run = p_;
      while (p_ < end_) {
        auto c = static_cast<unsigned char>(*p_);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') break;
        ++p_;
      }
      out->append(run, static_cast<size_t>(p_ - run));
      if (p_ == end_) return false;
      const char c = *p_++;
      if (c == '"') return true;
      if (c != '\\' || p_ == end_) return false;
      switch (*p_++) {
        case '"': *out += '"'; break;
        case '\\': *out += '\\'; break;
        case '/': *out += '/'; break;
        case 'b': *out += '\b'; break;
        case 'f': *out += '\f'; break;
        case 'n': *out += '\n'; break;
        case 'r': *out += '\r'; break;
        case 't': *out += '\t'; break;
        default: return false;  // \u and anything else
      }
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // JSON's number grammar; converted as nlohmann converts it, where that
  // conversion is exact (an integer out of range becomes a float there:
  // left to it).
  bool number(json* out) {
    const char* start = p_;
    bool negative = false, is_float = false;
    if (*p_ == '-') negative = true, ++p_;
    if (p_ == end_ || !digit(*p_)) return false;
    if (*p_ == '0') ++p_;
    else
      while (p_ < end_ && digit(*p_)) ++p_;
    if (p_ < end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (p_ == end_ || !digit(*p_)) return false;
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !digit(*p_)) return false;
      while (p_ < end_ && digit(*p_)) ++p_;
    }
    if (is_float) {
      // Correctly rounded, as strtod is; out of range is left to nlohmann.
      double d;
      auto r = std::from_chars(start, p_, d);
      if (r.ec != std::errc() || r.ptr != p_) return false;
      *out = d;
    } else if (negative) {
      int64_t i;
      auto r = std::from_chars(start, p_, i);
      if (r.ec != std::errc() || r.ptr != p_) return false;
      *out = i;
    } else {
      uint64_t u;
      auto r = std::from_chars(start, p_, u);
      if (r.ec != std::errc() || r.ptr != p_) return false;
      *out = u;
    }
    return true;
  }

  bool value(json* out, int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': {
        if (depth >= kMaxDepth) return false;
        ++p_;
        *out = json::object();
        skip_space();
        if (p_ < end_ && *p_ == '}') return ++p_, true;
        for (;;) {
          skip_space();
          if (p_ == end_ || *p_ != '"') return false;
          std::string key;
          if (!string(&key)) return false;
          skip_space();
          if (p_ == end_ || *p_++ != ':') return false;
          skip_space();
          json v;
          if (!value(&v, depth + 1)) return false;
          (*out)[std::move(key)] = std::move(v);  // the last of duplicates wins
          skip_space();
          if (p_ == end_) return false;
          const char c = *p_++;
          if (c == '}') return true;
          if (c != ',') return false;
        }
      }
      case '[': {
        if (depth >= kMaxDepth) return false;
        ++p_;
        *out = json::array();
        skip_space();
        if (p_ < end_ && *p_ == ']') return ++p_, true;
        for (;;) {
          skip_space();
          json v;
          if (!value(&v, depth + 1)) return false;
          out->push_back(std::move(v));
          skip_space();
          if (p_ == end_) return false;
          const char c = *p_++;
          if (c == ']') return true;
          if (c != ',') return false;
        }
      }
      case '"': {
        std::string s;
        if (!string(&s)) return false;
        *out = std::move(s);
        return true;
      }
      case 't':
        if (!literal("true", 4)) return false;
        *out = true;
        return true;
      case 'f':
        if (!literal("false", 5)) return false;
        *out = false;
        return true;
      case 'n':
        if (!literal("null", 4)) return false;
        *out = nullptr;
        return true;
      default:
        return number(out);
    }
  }

  const char* p_;
  const char* const end_;
};

}  // namespace

json parse_json_line(const std::string& text) {
  json out;
  if (PlainParser(text.data(), text.data() + text.size()).parse(&out)) return out;
  return parse_json_text(text);
}

}  // namespace grid
