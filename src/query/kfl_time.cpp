// KFL's datetime(): RFC 3339 and Kubeshark's "11/27/2026, 8:00:00 AM", as
// milliseconds since the epoch (UTC).
#include <cctype>

#include "query/kfl.h"

namespace trawl::kfl {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + int64_t(doe) - 719468;
}

bool valid_date(int64_t y, unsigned m, unsigned d) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap);
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool digits(size_t min, size_t max, int64_t& out) {
    size_t n = 0;
    out = 0;
    while (n < max && i_ < s_.size() && std::isdigit(uint8_t(s_[i_])))
      out = out * 10 + (s_[i_++] - '0'), ++n;
    return n >= min;
  }
  bool eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  bool eat_ci(char c) {
    if (i_ < s_.size() && std::tolower(uint8_t(s_[i_])) == c) return ++i_, true;
    return false;
  }
  void spaces() {
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
  }
  bool done() const { return i_ == s_.size(); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

std::optional<int64_t> to_ms(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s,
                             int64_t ms, int64_t offset_min) {
  if (!valid_date(y, unsigned(mo), unsigned(d)) || h > 23 || mi > 59 || s > 60) return std::nullopt;
  int64_t days = days_from_civil(y, unsigned(mo), unsigned(d));
  return ((days * 24 + h) * 60 + mi - offset_min) * 60000 + s * 1000 + ms;
}

std::optional<int64_t> rfc3339(std::string_view text) {
  Scanner sc(text);
  int64_t y, mo, d, h, mi, s, ms = 0, oh = 0, om = 0;
  if (!sc.digits(4, 4, y) || !sc.eat('-') || !sc.digits(2, 2, mo) || !sc.eat('-') ||
      !sc.digits(2, 2, d))
    return std::nullopt;
  if (!(sc.eat('T') || sc.eat('t') || sc.eat(' '))) return std::nullopt;
  if (!sc.digits(2, 2, h) || !sc.eat(':') || !sc.digits(2, 2, mi) || !sc.eat(':') ||
      !sc.digits(2, 2, s))
    return std::nullopt;
  if (sc.eat('.')) {
    // Milliseconds: the first three digits of the fraction, the rest ignored.
    int64_t digit;
    int n = 0;
    while (sc.digits(1, 1, digit)) {
      if (n < 3) ms = ms * 10 + digit;
      ++n;
    }
    if (n == 0) return std::nullopt;
    for (int k = n; k < 3; ++k) ms *= 10;
  }
  int sign = 0;
  if (sc.eat('Z') || sc.eat('z')) {
  } else if (sc.eat('+')) {
    sign = 1;
  } else if (sc.eat('-')) {
    sign = -1;
  } else {
    return std::nullopt;
  }
  if (sign && (!sc.digits(2, 2, oh) || !sc.eat(':') || !sc.digits(2, 2, om))) return std::nullopt;
  if (!sc.done() || oh > 23 || om > 59) return std::nullopt;
  return to_ms(y, mo, d, h, mi, s, ms, sign * (oh * 60 + om));
}

// "11/27/2026, 8:00:00 AM"
std::optional<int64_t> kubeshark_form(std::string_view text) {
  Scanner sc(text);
  int64_t mo, d, y, h, mi, s;
  if (!sc.digits(1, 2, mo) || !sc.eat('/') || !sc.digits(1, 2, d) || !sc.eat('/') ||
      !sc.digits(4, 4, y))
    return std::nullopt;
  sc.eat(',');
  sc.spaces();
  if (!sc.digits(1, 2, h) || !sc.eat(':') || !sc.digits(2, 2, mi) || !sc.eat(':') ||
      !sc.digits(2, 2, s))
    return std::nullopt;
  sc.spaces();
  bool pm;
  if (sc.eat_ci('a'))
    pm = false;
  else if (sc.eat_ci('p'))
    pm = true;
  else
    return std::nullopt;
  if (!sc.eat_ci('m') || !sc.done() || h < 1 || h > 12) return std::nullopt;
  h = h % 12 + (pm ? 12 : 0);
  return to_ms(y, mo, d, h, mi, s, 0, 0);
}

}  // namespace

std::optional<int64_t> parse_datetime(std::string_view text) {
  if (auto ms = rfc3339(text)) return ms;
  return kubeshark_form(text);
}

}  // namespace trawl::kfl
