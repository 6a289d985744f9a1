#include "core/timestamp.h"

#include <cctype>
#include <cmath>
#include <chrono>
#include <cstdio>

#include "core/error.h"

namespace grid {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// days_from_civil): exact for every year, no time zone, no libc state.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t days_in_month(int64_t y, int64_t m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at text[*i].
bool digits(const std::string& text, size_t* i, int n, int64_t* out) {
  int64_t v = 0;
  for (int k = 0; k < n; ++k, ++*i) {
    if (*i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[*i]))) return false;
    v = v * 10 + (text[*i] - '0');
  }
  *out = v;
  return true;
}

bool expect(const std::string& text, size_t* i, const char* any_of) {
  if (*i >= text.size()) return false;
  for (const char* c = any_of; *c; ++c)
    if (text[*i] == *c) return ++*i, true;
  return false;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 15 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string format_rfc3339(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t secs = t - days * 86400, y, m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[96];  // room for any int64 the format could see, though years stay 4 digits
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

std::optional<int64_t> parse_rfc3339(const std::string& text) {
  size_t i = 0;
  int64_t y, mo, d, h, mi, s;
  if (!digits(text, &i, 4, &y) || !expect(text, &i, "-") || !digits(text, &i, 2, &mo) || !expect(text, &i, "-") ||
      !digits(text, &i, 2, &d) || !expect(text, &i, "Tt ") || !digits(text, &i, 2, &h) || !expect(text, &i, ":") ||
      !digits(text, &i, 2, &mi) || !expect(text, &i, ":") || !digits(text, &i, 2, &s))
    return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (expect(text, &i, "Zz")) {
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    const int sign = text[i++] == '-' ? -1 : 1;
    int64_t oh, om;
    if (!digits(text, &i, 2, &oh) || !expect(text, &i, ":") || !digits(text, &i, 2, &om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  // Leap seconds (:60) are read as the next second, as RFC 3339 allows.
  if (i != text.size() || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
}

namespace {
// The longest duration a flag takes: no market deadline is a century away.
constexpr int64_t kLimit = int64_t{100} * 366 * 86400;
}  // namespace

std::optional<int64_t> parse_duration(const std::string& text) {
  size_t i = 0;
  int64_t total = 0;
  while (i < text.size()) {
    int64_t n = 0;
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i++] - '0');
      if (n > kLimit) return std::nullopt;
    }
    if (i == start || i == text.size()) return std::nullopt;
    int64_t unit;
    switch (text[i++]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: return std::nullopt;
    }
    if (n > kLimit / unit) return std::nullopt;
    total += n * unit;
    if (total > kLimit) return std::nullopt;
  }
  if (total <= 0) return std::nullopt;
  return total;
}

std::optional<double> parse_timeout(const std::string& text) {
  if (auto whole = parse_duration(text)) return static_cast<double>(*whole);
  // One number, digits with at most one point between digits, then s or ms.
  const bool ms = text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0;
  const bool s = !ms && text.size() > 1 && text.back() == 's';
  if (!ms && !s) return std::nullopt;
  const std::string number = text.substr(0, text.size() - (ms ? 2 : 1));
  const size_t point = number.find('.');
  const auto digits = [](const std::string& d) {
    return !d.empty() && d.size() <= 12 && d.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!(point == std::string::npos ? digits(number) : digits(number.substr(0, point)) && digits(number.substr(point + 1))))
    return std::nullopt;
  const double seconds = std::stod(number) / (ms ? 1000.0 : 1.0);
  if (!(seconds > 0) || seconds > static_cast<double>(kLimit)) return std::nullopt;
  return seconds;
}

namespace {

// Times a flag may give: RFC 3339 writes four-digit years, so a later time
// would be signed into a message that no reader takes.
constexpr int64_t kLastTime = 253402300799;  // 9999-12-31T23:59:59Z

int64_t in_range(int64_t t, const std::string& value, const std::string& flag) {
  if (t < 0 || t > kLastTime) throw Error(Exit::usage, flag + " " + value + ": after 9999-12-31T23:59:59Z");
  return t;
}

int64_t epoch_seconds(const std::string& value, const std::string& flag) {
  if (value.size() > 12) throw Error(Exit::usage, flag + " " + value + ": after 9999-12-31T23:59:59Z");
  return in_range(std::stoll(value), value, flag);
}

}  // namespace

int64_t resolve_now(const std::string& value, const std::string& flag) {
  if (value.empty()) return now_seconds();
  if (all_digits(value)) return epoch_seconds(value, flag);
  if (auto t = parse_rfc3339(value)) return in_range(*t, value, flag);
  throw Error(Exit::usage, flag + " " + value + ": expected an RFC 3339 time (2026-11-28T20:00:00Z) or seconds since the epoch");
}

int64_t resolve_time(const std::string& value, int64_t now, const std::string& flag) {
  if (auto t = parse_rfc3339(value)) return in_range(*t, value, flag);
  const std::string d = !value.empty() && value[0] == '+' ? value.substr(1) : value;
  if (auto secs = parse_duration(d)) return in_range(now + *secs, value, flag);
  throw Error(Exit::usage, flag + " " + value + ": expected an RFC 3339 time (2026-11-28T20:00:00Z) or a duration (90s, 30m, 2h, 1d)");
}

int64_t resolve_since(const std::string& value, int64_t now, const std::string& flag) {
  if (all_digits(value)) return epoch_seconds(value, flag);
  if (auto t = parse_rfc3339(value)) return *t;
  if (auto secs = parse_duration(value)) return now - *secs;
  throw Error(Exit::usage, flag + " " + value +
                               ": expected an RFC 3339 time, seconds since the epoch, or a duration ago (1d, 12h)");
}

int64_t get_time(const json& obj, const std::string& name, const std::string& path) {
  const std::string field = path + "." + name;
  if (!obj.is_object() || !obj.contains(name)) throw data_error("missing field " + name, field);
  const json& v = obj[name];
  if (!v.is_string()) throw data_error(name + " must be an RFC 3339 time string", field);
  auto t = parse_rfc3339(v.get<std::string>());
  if (!t) throw data_error(name + " " + v.get<std::string>() + " is not an RFC 3339 time", field);
  return *t;
}

RunClock::RunClock(const std::string& now_flag, const std::string& flag)
    : start_(static_cast<double>(resolve_now(now_flag, flag))), t0_(std::chrono::steady_clock::now()) {}

double RunClock::now() const {
  return start_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

std::string duration_text(double seconds) {
  const int64_t t = static_cast<int64_t>(std::llround(seconds));
  if (t < 60) return std::to_string(t) + " s";
  if (t < 3600) return std::to_string(t / 60) + " min " + std::to_string(t % 60) + " s";
  return std::to_string(t / 3600) + " h " + std::to_string(t / 60 % 60) + " min";
}

}  // namespace grid
