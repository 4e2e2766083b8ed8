// IMF-fixdate for the Date header (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
// Written by hand instead of strftime so the C locale is not an assumption.
#pragma once
#include <cstdio>
#include <cstring>
#include <ctime>

namespace tsgi {

constexpr int kHttpDateLength = 29;

inline void formatHttpDate(time_t now, char out[kHttpDateLength + 1]) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm t;
  gmtime_r(&now, &t);
  char text[64];  // roomy: the compiler cannot prove the fields stay 2 and 4 digits
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday % 7],
                t.tm_mday, kMonths[t.tm_mon % 12], (t.tm_year + 1900) % 10000, t.tm_hour % 100,
                t.tm_min % 100, t.tm_sec % 100);
  std::memcpy(out, text, kHttpDateLength);
  out[kHttpDateLength] = 0;
}

}  // namespace tsgi
