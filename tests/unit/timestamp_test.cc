#include "core/timestamp.h"

#include <gtest/gtest.h>

#include <ctime>
#include <random>

#include "core/error.h"

namespace grid {
namespace {

TEST(Timestamp, KnownInstants) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(parse_rfc3339("2026-11-28T20:00:00Z"), 1795896000);
  EXPECT_EQ(parse_rfc3339("2026-11-28T21:30:00+01:30"), 1795896000);
  EXPECT_EQ(parse_rfc3339("2026-11-28t20:00:00.999z"), 1795896000);
  EXPECT_EQ(parse_rfc3339("2026-11-28 18:00:00-02:00"), 1795896000);
}

// Against libc's timegm/gmtime_r on random instants across four centuries.
TEST(Timestamp, AgreesWithLibcOnRandomInstants) {
  std::mt19937_64 rng(20261128);
  std::uniform_int_distribution<int64_t> when(-2208988800, 7258118400);  // 1900..2200
  for (int i = 0; i < 20000; ++i) {
    const int64_t t = when(rng);
    const time_t tt = static_cast<time_t>(t);
    struct tm tm {};
    gmtime_r(&tt, &tm);
    char buf[40];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ASSERT_EQ(format_rfc3339(t), buf) << "t=" << t;
    ASSERT_EQ(parse_rfc3339(buf), t) << buf;
  }
}

TEST(Timestamp, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-28", "2026-11-28T20:00:00", "2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-28T24:00:00Z", "2026-11-28T20:00:00+2:00", "2026-11-28T20:00:00Zjunk",
                          "2026-11-28T20:00:00.Z", "26-11-28T20:00:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
}

TEST(Timestamp, Durations) {
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("1h30m"), 5400);
  EXPECT_EQ(parse_duration("2d"), 172800);
  EXPECT_EQ(parse_duration("1w"), 604800);
  for (const char* bad : {"", "0s", "10", "h", "5x", "1h30", "-5m", "99999999999999999999s", "200000w"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Timestamp, Timeouts) {
  EXPECT_EQ(parse_timeout("10s"), 10.0);
  EXPECT_EQ(parse_timeout("2m"), 120.0);
  EXPECT_EQ(parse_timeout("1h30m"), 5400.0);
  EXPECT_EQ(parse_timeout("1.5s"), 1.5);
  EXPECT_EQ(parse_timeout("500ms"), 0.5);
  EXPECT_EQ(parse_timeout("0.25s"), 0.25);
  EXPECT_EQ(parse_timeout("2.5ms"), 0.0025);
  for (const char* bad : {"", "0s", "0ms", "0.0s", "10", ".5s", "5.s", "1.2.3s", "1.5m", "1e3s", "-1s", "ms", "s",
                          " 1s", "1s ", "1,5s", "9999999999999s", "1.5h30m"})
    EXPECT_FALSE(parse_timeout(bad).has_value()) << bad;
}

TEST(Timestamp, FlagValues) {
  EXPECT_EQ(resolve_now("1795896000"), 1795896000);
  EXPECT_EQ(resolve_now("2026-11-28T20:00:00Z"), 1795896000);
  EXPECT_GT(resolve_now(""), 1700000000);
  EXPECT_EQ(resolve_time("2h", 1000, "--deadline"), 1000 + 7200);
  EXPECT_EQ(resolve_time("+30m", 1000, "--deadline"), 1000 + 1800);
  EXPECT_EQ(resolve_time("2026-11-28T20:00:00Z", 1000, "--deadline"), 1795896000);
  try {
    resolve_time("soon", 0, "--deadline");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::usage);
    EXPECT_NE(std::string(e.what()).find("--deadline soon"), std::string::npos);
  }
  EXPECT_THROW(resolve_now("yesterday"), Error);
  EXPECT_EQ(resolve_since("1d", 100000, "--since"), 100000 - 86400);
  EXPECT_EQ(resolve_since("1795896000", 0, "--since"), 1795896000);
  EXPECT_EQ(resolve_since("2026-11-28T20:00:00Z", 0, "--since"), 1795896000);
  EXPECT_THROW(resolve_since("+1d", 0, "--since"), Error);
}

// A flag's time ends up signed in a message as RFC 3339, which has
// four-digit years: later times are usage errors, not unreadable messages.
TEST(Timestamp, FlagTimesEndWithYear9999) {
  EXPECT_EQ(resolve_now("253402300799"), 253402300799);
  EXPECT_EQ(resolve_now("9999-12-31T23:59:59Z"), 253402300799);
  for (const char* late : {"253402300800", "99999999999999", "99999999999999999999999"}) {
    try {
      resolve_now(late);
      ADD_FAILURE() << late << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::usage) << late;
    }
  }
  EXPECT_EQ(resolve_time("1h", 253402300799 - 3600, "--deadline"), 253402300799);
  EXPECT_THROW(resolve_time("2h", 253402300799 - 3600, "--deadline"), Error);
  EXPECT_THROW(resolve_since("253402300800", 0, "--since"), Error);
}

TEST(Timestamp, MessageField) {
  const json m = {{"deadline", "2026-11-28T20:00:00Z"}, {"bad", "noon"}, {"num", 5}};
  EXPECT_EQ(get_time(m, "deadline", ""), 1795896000);
  try {
    get_time(m, "bad", ".order");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_EQ(e.field(), ".order.bad");
  }
  EXPECT_THROW(get_time(m, "num", ""), Error);
  EXPECT_THROW(get_time(m, "missing", ""), Error);
}

// A fixed --now still advances with the run, never backwards; a bad one is
// the flag's usage error.
TEST(Timestamp, RunClockStartsAtNowAndAdvances) {
  const RunClock clock("2026-11-28T20:00:00Z");
  const double a = clock.now(), b = clock.now();
  EXPECT_GE(a, 1795896000.0);
  EXPECT_LT(a, 1795896000.0 + 60);
  EXPECT_GE(b, a);
  EXPECT_NEAR(RunClock("").now(), static_cast<double>(now_seconds()), 2.0);
  try {
    RunClock bad("someday");
    FAIL() << "no error for --now someday";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::usage);
    EXPECT_NE(std::string(e.what()).find("--now someday"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace grid
