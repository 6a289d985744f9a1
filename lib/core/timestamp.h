// Wall-clock times in messages: RFC 3339 UTC strings ("2026-11-28T20:00:00Z")
// so people and jq (`fromdate`) read them, seconds since the epoch inside.
// Every tool that compares times takes --now, so tests never race the clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/canonical_json.h"

namespace grid {

// Seconds since 1970-01-01T00:00:00Z, from the system clock.
int64_t now_seconds();

// "YYYY-MM-DDTHH:MM:SSZ".
std::string format_rfc3339(int64_t unix_seconds);

// "12 s", "3 min 20 s", "2 h 5 min": a span of time for people, not
// parsers, to the nearest second.
std::string duration_text(double seconds);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)" (a space or 't'
// may stand for 'T', 'z' for 'Z'); the fraction is dropped. nullopt when
// the text is not such a time or names an impossible date.
std::optional<int64_t> parse_rfc3339(const std::string& text);

// Parses a duration: one or more number+unit pairs, units s m h d w
// ("90s", "1h30m", "2d"). nullopt when malformed, zero or past 100 years.
std::optional<int64_t> parse_duration(const std::string& text);

// A timeout: a parse_duration, or seconds with a fraction or in
// milliseconds ("1.5s", "500ms", "0.25s"). Seconds; nullopt when malformed,
// zero or past 100 years.
std::optional<double> parse_timeout(const std::string& text);

// The value of a --now flag: "" is the system clock; else an RFC 3339 time
// or plain seconds since the epoch. Throws Error(Exit::usage) naming `flag`.
int64_t resolve_now(const std::string& value, const std::string& flag = "--now");

// The wall clock of one run, in seconds since the epoch: a --now value
// (resolve_now: "" is the system clock) at the start, advanced by the
// steady clock since, so that a run under a fixed --now still sees its own
// time pass.
class RunClock {
 public:
  explicit RunClock(const std::string& now_flag, const std::string& flag = "--now");
  double now() const;

 private:
  double start_;
  std::chrono::steady_clock::time_point t0_;
};

// A point in time given as an RFC 3339 time or as a duration after `now`
// ("2h", "+2h"). Throws Error(Exit::usage) naming `flag` otherwise.
int64_t resolve_time(const std::string& value, int64_t now, const std::string& flag);

// A point in the past, as --since takes it: an RFC 3339 time, seconds
// since the epoch, or a duration before `now` ("1d": a day ago). Throws
// Error(Exit::usage) naming `flag` otherwise.
int64_t resolve_since(const std::string& value, int64_t now, const std::string& flag);

// A timestamp field of a message: an RFC 3339 string. Throws
// Error(Exit::data) naming the field (path + "." + name) otherwise.
int64_t get_time(const json& obj, const std::string& name, const std::string& path);

}  // namespace grid
