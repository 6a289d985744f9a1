#include "core/crypto.h"

#include <gtest/gtest.h>

#include "vectors.h"

namespace grid {
namespace {

TEST(Sha256, PublishedVectors) {
  auto vectors = testing::load_vectors("sha256.jsonl");
  ASSERT_GE(vectors.size(), 3u);
  for (const auto& v : vectors) {
    std::string input;
    if (v.contains("repeat")) {
      input.assign(v["count"].get<size_t>(), v["repeat"].get<std::string>()[0]);
    } else {
      Bytes b;
      ASSERT_TRUE(unhex(v["input_hex"].get<std::string>(), &b));
      input.assign(b.begin(), b.end());
    }
    EXPECT_EQ(hex(sha256(input)), v["sha256"].get<std::string>()) << v.dump();
  }
}

TEST(Sha256, IncrementalMatchesOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>((i * 7919) & 0xff));
  Sha256 h;
  for (size_t i = 0; i < data.size(); i += 997) h.update(std::string_view(data).substr(i, 997));
  EXPECT_EQ(h.final(), sha256(data));
}

TEST(Ed25519, Rfc8032Vectors) {
  auto vectors = testing::load_vectors("ed25519.jsonl");
  ASSERT_GE(vectors.size(), 3u);
  for (const auto& v : vectors) {
    std::array<uint8_t, 32> seed;
    ASSERT_TRUE(unhex(v["secret_key"].get<std::string>(), seed.data(), 32));
    SigningKey key = signing_key_from_seed(seed);
    EXPECT_EQ(hex(key.public_key), v["public_key"].get<std::string>()) << v["name"];
    Bytes msg;
    ASSERT_TRUE(unhex(v["message"].get<std::string>(), &msg));
    std::string m(msg.begin(), msg.end());
    auto sig = ed25519_sign(key, m);
    EXPECT_EQ(hex(sig), v["signature"].get<std::string>()) << v["name"];
    EXPECT_TRUE(ed25519_verify(key.public_key, m, sig));
    sig[0] ^= 1;
    EXPECT_FALSE(ed25519_verify(key.public_key, m, sig));
  }
}

// Every byte, as either digit of a pair: the digits of both cases read as
// themselves, anything else (NUL, bytes past 0x7f, 'g', '/') is refused.
TEST(Hex, ReadsEveryByteAsADigitOrRefusesIt) {
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    uint8_t out = 0;
    EXPECT_EQ(unhex(std::string{'1', ch}, &out, 1), digit) << c;
    if (digit) {
      EXPECT_EQ(out, 0x10 + std::stoi(std::string(1, ch), nullptr, 16)) << c;
    }
    EXPECT_EQ(unhex(std::string{ch, '1'}, &out, 1), digit) << c;
  }
}

TEST(Hex, RoundTripAndRejects) {
  Bytes b;
  EXPECT_TRUE(unhex("00ffA0", &b));
  EXPECT_EQ(hex(b), "00ffa0");
  EXPECT_FALSE(unhex("0", &b));
  EXPECT_FALSE(unhex("zz", &b));
  Digest d;
  EXPECT_FALSE(parse_sha256_ref("sha256:00", &d));
  EXPECT_TRUE(parse_sha256_ref(sha256_ref(sha256("x")), &d));
  EXPECT_EQ(d, sha256("x"));
  std::array<uint8_t, 32> pk;
  EXPECT_FALSE(parse_public_key_ref("ed25519:" + std::string(63, 'a'), &pk));
  EXPECT_FALSE(parse_public_key_ref("rsa:" + std::string(64, 'a'), &pk));
}

}  // namespace
}  // namespace grid
