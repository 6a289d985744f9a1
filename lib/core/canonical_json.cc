#include "core/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/error.h"

namespace grid {
namespace {

// Integers up to 2^53 are all exact IEEE doubles and print as themselves.
constexpr uint64_t kMaxExactInteger = uint64_t{1} << 53;

// Where a value sits (".a.b[2]"), spelled out only for an error: building
// the text for every member was a large part of hashing a message.
struct Path {
  const Path* up = nullptr;
  const std::string* key = nullptr;  // a member's name, or
  size_t index = 0;                  // an element's index
  std::string text() const {
    std::string s = up ? up->text() : "";
    if (!up) return s;
    return key ? s + "." + *key : s + "[" + std::to_string(index) + "]";
  }
  std::string field() const {
    std::string s = text();
    return s.empty() ? "." : s;
  }
};

std::u16string utf16(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) { cp = c; len = 1; }
    else if ((c >> 5) == 6) { cp = c & 0x1f; len = 2; }
    else if ((c >> 4) == 14) { cp = c & 0x0f; len = 3; }
    else { cp = c & 0x07; len = 4; }
    for (size_t j = 1; j < len && i + j < s.size(); ++j)
      cp = cp << 6 | (static_cast<unsigned char>(s[i + j]) & 0x3f);
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

bool is_ascii(const std::string& s) {
  for (char ch : s)
    if (static_cast<unsigned char>(ch) >= 0x80) return false;
  return true;
}

void put_string(std::string& out, const std::string& s) {
  static const char digits[] = "0123456789abcdef";
  out += '"';
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    // The run of bytes that stand for themselves, appended at once.
    const char* run = p;
    while (p < end) {
      auto c = static_cast<unsigned char>(*p);
      if (c < 0x20 || c == '"' || c == '\\') break;
      ++p;
    }
    out.append(run, static_cast<size_t>(p - run));
    if (p == end) break;
    auto c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += digits[c >> 4];
        out += digits[c & 15];
    }
  }
  out += '"';
}

void put_value(std::string& out, const json& v, const Path& path);

// The members of object `v` in RFC 8785 order, less those named in `skip`.
void put_object(std::string& out, const json& v, const Path& path,
                std::initializer_list<std::string_view> skip = {}) {
  auto skipped = [&](const std::string& key) {
    for (std::string_view s : skip)
      if (key == s) return true;
    return false;
  };
  auto put_member = [&](const std::string& key, const json& value, bool& first) {
    if (!first) out += ',';
    first = false;
    put_string(out, key);
    out += ':';
    put_value(out, value, Path{&path, &key, 0});
  };
  const auto& members = v.get_ref<const json::object_t&>();
  bool ascii = true;
  for (const auto& m : members)
    if (!is_ascii(m.first)) {
      ascii = false;
      break;
    }
  out += '{';
  bool first = true;
  if (ascii) {
    // The object keeps its members sorted by bytes, which for ASCII names
    // is the order of their UTF-16 code units too.
    for (const auto& m : members)
      if (!skipped(m.first)) put_member(m.first, m.second, first);
  } else {
    std::vector<std::pair<std::u16string, const json::object_t::value_type*>> sorted;
    sorted.reserve(members.size());
    for (const auto& m : members)
      if (!skipped(m.first)) sorted.emplace_back(utf16(m.first), &m);
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& s : sorted) put_member(s.second->first, s.second->second, first);
  }
  out += '}';
}

void put_integer(std::string& out, uint64_t magnitude, bool negative) {
  char buf[24];
  char* p = buf;
  if (negative) *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, magnitude).ptr;
  out.append(buf, static_cast<size_t>(p - buf));
}

// An integer beyond 2^53 is accepted only when its digits are already the
// canonical form of a double: RFC 8785 writes every whole double below
// 1e21 as an integer (1e17 as "100000000000000000"), so another
// implementation's canonical output must canonicalize to itself. Any
// other large integer would be rounded to a double, and money must never
// be rounded silently.
void put_large_integer(std::string& out, uint64_t magnitude, bool negative, const Path& path) {
  const size_t start = out.size();
  put_integer(out, magnitude, negative);
  const double d = static_cast<double>(magnitude);
  if (es_number(negative ? -d : d) == std::string_view(out).substr(start)) return;
  throw data_error("integer " + out.substr(start) + " is beyond +-2^53 and is not the canonical form of a double",
                   path.field());
}

void put_value(std::string& out, const json& v, const Path& path) {
  switch (v.type()) {
    case json::value_t::null: out += "null"; return;
    case json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case json::value_t::string: put_string(out, v.get_ref<const std::string&>()); return;
    case json::value_t::number_unsigned: {
      uint64_t u = v.get<uint64_t>();
      if (u > kMaxExactInteger) return put_large_integer(out, u, false, path);
      put_integer(out, u, false);
      return;
    }
    case json::value_t::number_integer: {
      int64_t i = v.get<int64_t>();
      uint64_t mag = i < 0 ? uint64_t(0) - uint64_t(i) : uint64_t(i);
      if (mag > kMaxExactInteger) return put_large_integer(out, mag, i < 0, path);
      put_integer(out, mag, i < 0);
      return;
    }
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) throw data_error("number is not finite", path.field());
      out += es_number(d);
      return;
    }
    case json::value_t::array: {
      out += '[';
      size_t i = 0;
      for (const auto& e : v) {
        if (i) out += ',';
        put_value(out, e, Path{&path, nullptr, i});
        ++i;
      }
      out += ']';
      return;
    }
    case json::value_t::object:
      put_object(out, v, path);
      return;
    case json::value_t::binary:
    case json::value_t::discarded:
      break;
  }
  throw Error(Exit::internal, "value of a type JSON text cannot hold");
}

}  // namespace

json whole_number(double value) {
  if (!std::isfinite(value) || value != std::floor(value) || std::fabs(value) >= 0x1p63) return value;
  const std::string digits = es_number(value);
  int64_t whole = 0;
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), whole);
  if (err != std::errc() || end != digits.data() + digits.size()) return value;
  return whole;
}

std::string es_number(double value) {
  if (!std::isfinite(value)) throw data_error("NaN and infinities have no JSON form");
  if (value == 0) return "0";  // also -0
  std::string sign;
  if (value < 0) {
    sign = "-";
    value = -value;
  }
  // Shortest round-trip digits, as ECMAScript requires: "d.ddde[+-]x".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  size_t e = sci.find('e');
  std::string digits = sci.substr(0, 1) + (e > 2 ? sci.substr(2, e - 2) : "");
  int n = std::stoi(sci.substr(e + 1)) + 1;  // value = 0.digits * 10^n
  int k = static_cast<int>(digits.size());

  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(-n, '0') + digits;
  } else {
    int exp = n - 1;
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += exp < 0 ? "e-" : "e+";
    out += std::to_string(exp < 0 ? -exp : exp);
  }
  return sign + out;
}

std::string canonical_json(const json& value) {
  std::string out;
  put_value(out, value, Path{});
  return out;
}

std::string canonical_json_without(const json& value, std::initializer_list<std::string_view> skip) {
  if (!value.is_object()) return canonical_json(value);
  std::string out;
  out.reserve(1024);
  put_object(out, value, Path{}, skip);
  return out;
}

}  // namespace grid
