#include "core/message.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace grid {
namespace {

SigningKey test_key(uint8_t fill) {
  std::array<uint8_t, 32> seed;
  seed.fill(fill);
  return signing_key_from_seed(seed);
}

json sample() {
  return json::parse(R"({"kind":"job","v":1,"spec":{"m":3,"name":"x\u00e9"},"extra":[1,2.5,null]})");
}

TEST(Message, IdIgnoresIdAndSigAndMemberOrder) {
  json a = sample();
  json b = json::parse(R"({"extra":[1,2.5,null],"spec":{"name":"x\u00e9","m":3},"v":1,"kind":"job",
                           "id":"whatever","sig":{"by":"x"}})");
  EXPECT_EQ(message_id(a), message_id(b));
  EXPECT_EQ(message_id(a), sha256_ref(sha256(canonical_json(a))));
}

TEST(Message, SignThenVerify) {
  json m = sample();
  sign_message(m, test_key(7));
  std::string signer;
  Status s = check_signature(m, &signer);
  EXPECT_TRUE(s.ok()) << s.reason();
  EXPECT_EQ(signer, public_key_ref(test_key(7).public_key));
}

TEST(Message, TamperingIsCaught) {
  json m = sample();
  sign_message(m, test_key(1));
  json changed = m;
  changed["spec"]["m"] = 4;
  EXPECT_FALSE(check_signature(changed).ok());

  json resealed = changed;
  set_message_id(resealed);  // id fixed up, signature now over the wrong id
  EXPECT_FALSE(check_signature(resealed).ok());

  json other_signer = m;
  other_signer["sig"]["by"] = public_key_ref(test_key(2).public_key);
  EXPECT_FALSE(check_signature(other_signer).ok());

  json flipped = m;
  std::string sig = flipped["sig"]["sig"];
  sig[10] = sig[10] == '0' ? '1' : '0';
  flipped["sig"]["sig"] = sig;
  EXPECT_FALSE(check_signature(flipped).ok());
}

TEST(Message, UnsignedAndMalformedSigsFail) {
  json m = sample();
  set_message_id(m);
  EXPECT_TRUE(check_message_id(m).ok());
  EXPECT_EQ(check_signature(m).reason(), "unsigned");
  m["sig"] = "nope";
  EXPECT_FALSE(check_signature(m).ok());
  m["sig"] = {{"by", "ed25519:zz"}, {"sig", "00"}};
  EXPECT_FALSE(check_signature(m).ok());
}

TEST(Message, EnvelopeErrorsNameTheField) {
  try {
    check_envelope(json::parse(R"({"v":1})"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), ".kind");
    EXPECT_EQ(e.code(), Exit::data);
  }
  try {
    check_envelope(json::parse(R"({"kind":"job","v":2})"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), ".v");
  }
  try {
    require_string(json::parse(R"({"sig":{"by":5}})")["sig"], "by", ".sig");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), ".sig.by");
    EXPECT_NE(std::string(e.what()).find("number"), std::string::npos);
  }
}

}  // namespace
}  // namespace grid
