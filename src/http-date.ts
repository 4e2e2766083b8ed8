// RFC 9110 §6.6.1: an origin server with a clock MUST send Date. Formatting a date per
// response is measurable, so the string is cached and rebuilt at most once a second.

let cached = '';
let cachedSecond = -1;

export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cached = new Date(second * 1000).toUTCString();
  }
  return cached;
}
