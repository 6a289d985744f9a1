#include "compute/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/file_io.h"

namespace grid {
namespace {

std::string fixture(const std::string& name) {
  const char* root = std::getenv("GRIDUTILS_ROOT");
  return read_file(std::string(root ? root : ".") + "/tests/vectors/npy/" + name, 1 << 20);
}

Matrix load(const std::string& name) { return parse_npy(fixture(name), name); }

// The error parse_npy gives for `bytes`; fails the test when there is none.
Error npy_error(const std::string& bytes) {
  try {
    parse_npy(bytes, "x.npy");
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(Exit::ok, "");
}

// A .npy file with a hand-written header (version 1.0, no padding rules).
std::string with_header(const std::string& dict, const std::string& data, char major = 1) {
  std::string out("\x93NUMPY", 6);
  out += major;
  out += '\0';
  std::string h = dict + "\n";
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  if (major > 1) out += std::string(2, '\0');
  return out + h + data;
}

std::string f4(std::initializer_list<float> v) {
  std::string out;
  for (float f : v) out.append(reinterpret_cast<const char*>(&f), 4);
  return out;
}

TEST(Npy, ReadsFloat32WrittenByNumpy) {
  Matrix m = load("f4_2x3.npy");
  ASSERT_EQ(m.shape, (std::vector<size_t>{2, 3}));
  ASSERT_EQ(m.data.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(m.data[i], static_cast<float>(i) / 3.0f - 0.5f) << i;
  EXPECT_EQ(m.rows(), 2u);
  EXPECT_EQ(m.cols(), 3u);
}

TEST(Npy, ReadsOtherShapes) {
  Matrix v = load("f4_1d.npy");
  EXPECT_EQ(v.shape, (std::vector<size_t>{5}));
  EXPECT_EQ(v.data, (std::vector<float>{1.5f, -2.25f, 0.0f, 1e-3f, 65504.0f}));
  EXPECT_EQ(v.rows(), 5u);
  EXPECT_EQ(v.cols(), 1u);
  Matrix s = load("f4_scalar.npy");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data, (std::vector<float>{7.5f}));
  Matrix e = load("f4_empty.npy");
  EXPECT_EQ(e.shape, (std::vector<size_t>{0, 4}));
  EXPECT_TRUE(e.data.empty());
  Matrix t = load("f4_3d.npy");
  EXPECT_EQ(t.shape, (std::vector<size_t>{2, 3, 4}));
  EXPECT_EQ(t.cols(), 12u);
  for (int i = 0; i < 24; ++i) EXPECT_EQ(t.data[i], static_cast<float>(i));
}

TEST(Npy, ReadsFormatVersions2And3) {
  Matrix v1 = load("f4_2x3.npy");
  for (const char* name : {"f4_v2.npy", "f4_v3.npy"}) {
    std::string bytes = fixture(name);
    ASSERT_GE(bytes.size(), 8u);
    EXPECT_NE(bytes[6], 1) << name << " was meant to be written as a later version";
    Matrix m = parse_npy(bytes, name);
    EXPECT_EQ(m.shape, v1.shape) << name;
    EXPECT_EQ(m.data, v1.data) << name;
  }
}

TEST(Npy, ConvertsFloat64AndIntegers) {
  Matrix d = load("f8_2x2.npy");
  EXPECT_EQ(d.shape, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(d.data,
            (std::vector<float>{static_cast<float>(0.1), static_cast<float>(-1e30), 3.0f, std::ldexp(1.0f, -20)}));
  Matrix i4 = load("i4_labels.npy");
  EXPECT_EQ(i4.data, (std::vector<float>{0, 1, 2, 1, -3}));
  Matrix i8 = load("i8_labels.npy");
  EXPECT_EQ(i8.data, (std::vector<float>{0, 9, 16777216.0f, -16777216.0f}));
  Matrix u1 = load("u1_pixels.npy");
  EXPECT_EQ(u1.shape, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(u1.data, (std::vector<float>{0, 128, 255}));
}

TEST(Npy, WritesWhatNumpyWritesByteForByte) {
  for (const char* name : {"f4_2x3.npy", "f4_1d.npy", "f4_scalar.npy", "f4_empty.npy", "f4_3d.npy"}) {
    std::string bytes = fixture(name);
    EXPECT_EQ(npy_bytes(parse_npy(bytes, name)), bytes) << name;
  }
}

TEST(Npy, RoundTripsRandomMatrices) {
  unsigned seed = 20240611;
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 50; ++trial) {
    Matrix m;
    size_t dims = rng() % 4;
    size_t count = 1;
    for (size_t d = 0; d < dims; ++d) {
      m.shape.push_back(rng() % 7);
      count *= m.shape.back();
    }
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits = static_cast<uint32_t>(rng());
      float f;
      std::memcpy(&f, &bits, 4);
      m.data.push_back(std::isnan(f) ? 0.0f : f);
    }
    std::string bytes = npy_bytes(m);
    EXPECT_EQ(bytes.size() % 64, count * 4 % 64) << "header not padded to 64; seed " << seed;
    Matrix back = parse_npy(bytes, "random");
    EXPECT_EQ(back.shape, m.shape) << "seed " << seed << " trial " << trial;
    EXPECT_EQ(back.data, m.data) << "seed " << seed << " trial " << trial;
  }
}

TEST(Npy, KeepsNaNPayloadBits) {
  uint32_t bits = 0x7fc01234;
  float f;
  std::memcpy(&f, &bits, 4);
  Matrix m{{1}, {f}};
  Matrix back = parse_npy(npy_bytes(m), "nan");
  uint32_t got;
  std::memcpy(&got, &back.data[0], 4);
  EXPECT_EQ(got, bits);
}

TEST(Npy, WriterRejectsShapeDataMismatch) {
  Matrix m{{2, 2}, {1, 2, 3}};
  try {
    npy_bytes(m);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::internal);
  }
}

TEST(Npy, RefusesWhatNumpyWritesButWeDoNotRead) {
  struct Case {
    const char* file;
    const char* says;
  } cases[] = {
      {"bad_fortran.npy", "Fortran-order"},           {"bad_bigendian.npy", "big-endian dtype '>f4'"},
      {"bad_f2.npy", "dtype '<f2' is not supported"}, {"bad_bool.npy", "dtype '|b1' is not supported"},
      {"bad_structured.npy", "structured dtypes"},    {"bad_i8_inexact.npy", "16777217) cannot be held exactly"},
  };
  for (const auto& c : cases) {
    Error e = npy_error(fixture(c.file));
    EXPECT_EQ(e.code(), Exit::data) << c.file;
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << c.file << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find("x.npy"), std::string::npos) << c.file << ": " << e.what();
  }
}

TEST(Npy, RefusesBadHeaders) {
  std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  std::string data = f4({1, 2});
  ASSERT_EQ(parse_npy(with_header(good, data), "x").data, (std::vector<float>{1, 2}));
  struct Case {
    std::string bytes;
    const char* says;
  } cases[] = {
      {"", "not a .npy file"},
      {"PK\x03\x04 not numpy at all", "not a .npy file"},
      {with_header(good, data, 4), "unsupported .npy format version 4.0"},
      {with_header(good, data).substr(0, 20), "truncated .npy header"},
      {with_header(good, data + "xx"), "needs 8 bytes of data, the file has 10"},
      {with_header(good, data.substr(0, 5)), "needs 8 bytes of data, the file has 5"},
      {with_header("{'descr': '<f4', 'shape': (2,), }", data), "lacks one of"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", data), "unexpected"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 'y'}", data), "unexpected key 'x'"},
      {with_header("{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", data), "malformed .npy header"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data), "non-negative integer"},
      {with_header("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", data), "malformed .npy header"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }", data), "malformed .npy header"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) }x", data), "text after"},
      {with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", data),
       "too large"},
      {with_header("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", data), "dtype '<U3'"},
  };
  for (const auto& c : cases) {
    Error e = npy_error(c.bytes);
    EXPECT_EQ(e.code(), Exit::data) << c.says;
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << "want '" << c.says << "', got: " << e.what();
  }
}

TEST(Npy, AcceptsHeaderVariants) {
  std::string data = f4({1, 2, 3, 4});
  // Keys in any order, double quotes, Python 2 long suffixes, no trailing comma.
  for (const std::string& dict : {
           std::string("{'shape': (2, 2), 'fortran_order': False, 'descr': '<f4'}"),
           std::string("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L, 2L)}"),
           std::string("{'descr':'<f4','fortran_order':False,'shape':(2,2,),}"),
       }) {
    Matrix m = parse_npy(with_header(dict, data), "x");
    EXPECT_EQ(m.shape, (std::vector<size_t>{2, 2})) << dict;
    EXPECT_EQ(m.data, (std::vector<float>{1, 2, 3, 4})) << dict;
  }
  Matrix v2 = parse_npy(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", data, 2), "x");
  EXPECT_EQ(v2.data.size(), 4u);
}

}  // namespace
}  // namespace grid
