#include "compute/npy.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

#include "core/error.h"

namespace grid {
namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);
constexpr size_t kHeaderAlign = 64;                     // numpy pads headers to this
constexpr uint64_t kExactIntLimit = uint64_t{1} << 24;  // float32's significand

Error bad(const std::string& name, const std::string& what) { return Error(Exit::data, name + ": " + what); }

uint64_t load_le(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// The header is a Python dict literal:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// Values are strings, True/False, or tuples of integers.
struct HeaderValue {
  enum Kind { text, boolean, tuple } kind = text;
  std::string str;
  bool flag = false;
  std::vector<size_t> ints;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view s, const std::string& name) : s_(s), name_(name) {}

  std::map<std::string, HeaderValue> dict() {
    std::map<std::string, HeaderValue> out;
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      std::string key = quoted();
      expect(':');
      HeaderValue v = value(key);
      if (!out.emplace(key, v).second) fail("key '" + key + "' appears twice");
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' in the header dict");
    }
    ++i_;
    skip_ws();
    if (i_ != s_.size()) fail("text after the header dict");
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) { throw bad(name_, "malformed .npy header: " + what); }
  char peek() { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string quoted() {
    skip_ws();
    char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    size_t end = s_.find(q, i_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(i_ + 1, end - i_ - 1));
    i_ = end + 1;
    return out;
  }
  HeaderValue value(const std::string& key) {
    skip_ws();
    HeaderValue v;
    char c = peek();
    if (c == '\'' || c == '"') {
      v.str = quoted();
    } else if (s_.substr(i_, 4) == "True") {
      v.kind = HeaderValue::boolean;
      v.flag = true;
      i_ += 4;
    } else if (s_.substr(i_, 5) == "False") {
      v.kind = HeaderValue::boolean;
      i_ += 5;
    } else if (c == '(') {
      v.kind = HeaderValue::tuple;
      ++i_;
      for (;;) {
        skip_ws();
        if (peek() == ')') break;
        size_t start = i_;
        uint64_t n = 0;
        while (peek() >= '0' && peek() <= '9') {
          if (n > (std::numeric_limits<uint64_t>::max() - 9) / 10) fail("dimension too large in " + key);
          n = n * 10 + static_cast<uint64_t>(peek() - '0');
          ++i_;
        }
        if (i_ == start) fail("expected a non-negative integer in " + key);
        if (peek() == 'L') ++i_;  // Python 2 longs
        v.ints.push_back(static_cast<size_t>(n));
        skip_ws();
        if (peek() == ',') {
          ++i_;
          continue;
        }
        if (peek() != ')') fail("expected ',' or ')' in " + key);
      }
      ++i_;
    } else if (c == '[') {
      throw bad(name_, "structured dtypes (descr " + std::string(s_.substr(i_, 40)) + "...) are not supported");
    } else {
      fail("unexpected value for '" + key + "'");
    }
    return v;
  }

  std::string_view s_;
  const std::string& name_;
  size_t i_ = 0;
};

struct Dtype {
  char kind;    // 'f', 'i', 'u'
  size_t size;  // bytes
};

std::optional<Dtype> dtype_of(const std::string& descr) {
  static const std::map<std::string, Dtype> known = {
      {"<f4", {'f', 4}}, {"<f8", {'f', 8}}, {"|i1", {'i', 1}}, {"<i1", {'i', 1}}, {"<i2", {'i', 2}}, {"<i4", {'i', 4}},
      {"<i8", {'i', 8}}, {"|u1", {'u', 1}}, {"<u1", {'u', 1}}, {"<u2", {'u', 2}}, {"<u4", {'u', 4}}, {"<u8", {'u', 8}},
  };
  auto it = known.find(descr);
  if (it == known.end()) return std::nullopt;
  return it->second;
}

// Whether float32 holds the integer `mag` exactly: its significant bits,
// trailing zeros aside, fit float32's 24-bit significand.
bool exact_in_float(uint64_t mag) { return mag == 0 || (mag >> __builtin_ctzll(mag)) < kExactIntLimit; }

void convert(const char* src, size_t count, const Dtype& t, const std::string& descr, std::vector<float>& out,
             const std::string& name) {
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const char* p = src + i * t.size;
    uint64_t bits = load_le(p, t.size);
    if (t.kind == 'f' && t.size == 4) {
      uint32_t b = static_cast<uint32_t>(bits);
      std::memcpy(&out[i], &b, 4);
      continue;
    }
    double v;
    if (t.kind == 'f') {
      std::memcpy(&v, &bits, 8);
      float f = static_cast<float>(v);
      if (std::isfinite(v) && !std::isfinite(f))
        throw bad(name, "element " + std::to_string(i) + " of " + descr + " data is beyond float32's range");
      out[i] = f;
      continue;
    }
    if (t.kind == 'i') {
      int shift = static_cast<int>(64 - 8 * t.size);
      int64_t s = static_cast<int64_t>(bits << shift) >> shift;  // sign-extend
      uint64_t mag = s < 0 ? 0 - static_cast<uint64_t>(s) : static_cast<uint64_t>(s);
      if (!exact_in_float(mag))
        throw bad(name, "element " + std::to_string(i) + " of " + descr + " data (" + std::to_string(s) +
                            ") cannot be held exactly as float32");
      v = static_cast<double>(s);
    } else {
      if (!exact_in_float(bits))
        throw bad(name, "element " + std::to_string(i) + " of " + descr + " data (" + std::to_string(bits) +
                            ") cannot be held exactly as float32");
      v = static_cast<double>(bits);
    }
    out[i] = static_cast<float>(v);
  }
}

std::string shape_text(const std::vector<size_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  if (shape.size() == 1) out += ",";
  return out + ")";
}

}  // namespace

size_t Matrix::cols() const {
  size_t n = 1;
  for (size_t i = 1; i < shape.size(); ++i) n *= shape[i];
  return n;
}

Matrix parse_npy(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.substr(0, 6) != kMagic) throw bad(name, "not a .npy file (no \\x93NUMPY magic)");
  int major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw bad(name, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  size_t len_size = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_size) throw bad(name, "truncated .npy header");
  uint64_t header_len = load_le(bytes.data() + 8, len_size);
  size_t data_at = 8 + len_size;
  if (header_len > bytes.size() - data_at) throw bad(name, "truncated .npy header");
  std::string_view header = bytes.substr(data_at, static_cast<size_t>(header_len));
  data_at += static_cast<size_t>(header_len);

  auto dict = HeaderParser(header, name).dict();
  for (const auto& [key, v] : dict)
    if (key != "descr" && key != "fortran_order" && key != "shape")
      throw bad(name, "unexpected key '" + key + "' in the .npy header");
  auto descr = dict.find("descr"), order = dict.find("fortran_order"), shape = dict.find("shape");
  if (descr == dict.end() || order == dict.end() || shape == dict.end())
    throw bad(name, ".npy header lacks one of 'descr', 'fortran_order', 'shape'");
  if (descr->second.kind != HeaderValue::text) throw bad(name, "'descr' in the .npy header is not a string");
  if (order->second.kind != HeaderValue::boolean)
    throw bad(name, "'fortran_order' in the .npy header is not True or False");
  if (shape->second.kind != HeaderValue::tuple) throw bad(name, "'shape' in the .npy header is not a tuple");
  if (order->second.flag)
    throw bad(name, "Fortran-order (column-major) arrays are not supported; save with np.ascontiguousarray");
  const std::string& d = descr->second.str;
  std::optional<Dtype> t = dtype_of(d);
  if (!t) {
    if (!d.empty() && d[0] == '>')
      throw bad(name, "big-endian dtype '" + d + "' is not supported; save it as arr.astype('<f4')");
    throw bad(name, "dtype '" + d + "' is not supported (float32 '<f4'; also '<f8' and integers, converted)");
  }

  Matrix m;
  m.shape = shape->second.ints;
  size_t count = 1;
  for (size_t n : m.shape)
    if (__builtin_mul_overflow(count, n, &count)) throw bad(name, "shape " + shape_text(m.shape) + " is too large");
  size_t need;
  if (__builtin_mul_overflow(count, t->size, &need)) throw bad(name, "shape " + shape_text(m.shape) + " is too large");
  size_t have = bytes.size() - data_at;
  if (have != need)
    throw bad(name, "shape " + shape_text(m.shape) + " of " + d + " needs " + std::to_string(need) +
                        " bytes of data, the file has " + std::to_string(have));
  convert(bytes.data() + data_at, count, *t, d, m.data, name);
  return m;
}

std::string npy_bytes(const Matrix& m) {
  size_t count = 1;
  for (size_t n : m.shape) count *= n;
  if (count != m.data.size())
    throw Error(Exit::internal, "npy_bytes: shape " + shape_text(m.shape) + " does not hold " +
                                    std::to_string(m.data.size()) + " values");
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text(m.shape) + ", }";
  // Version 1.0 unless the header needs more than 16 bits of length.
  size_t prefix = 10;
  size_t total = (prefix + dict.size() + 1 + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = (prefix + dict.size() + 1 + kHeaderAlign - 1) / kHeaderAlign * kHeaderAlign;
  }
  size_t header_len = total - prefix;
  std::string out(kMagic);
  out += static_cast<char>(prefix == 10 ? 1 : 2);
  out += '\0';
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  out += dict;
  out.append(header_len - dict.size() - 1, ' ');
  out += '\n';
  size_t at = out.size();
  out.resize(at + 4 * m.data.size());
  for (size_t i = 0; i < m.data.size(); ++i) {
    uint32_t b;
    std::memcpy(&b, &m.data[i], 4);
    for (int k = 0; k < 4; ++k) out[at + 4 * i + k] = static_cast<char>((b >> (8 * k)) & 0xff);
  }
  return out;
}

}  // namespace grid
