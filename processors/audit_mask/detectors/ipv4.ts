/**
 * IPv4 addresses in dotted-decimal: exactly four octets 0–255 without leading
 * zeros, not part of a longer dotted run (`1.2.3.4.5` is a version string),
 * and an address that can identify a host: the first octet is 1–223 and not
 * 127 — `0.0.0.0`, loopback, multicast, reserved and netmasks
 * (`255.255.255.0`) are not personal data and are left alone.
 */

/** True when `text[start, end)` (default: all of it) is such an address. */
export function isIpv4(text: string, start = 0, end = text.length): boolean {
  let octets = 0;
  let value = 0;
  let digits = 0;
  let first = -1;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(i - digits) === 48)) return false;
      if (first < 0) first = value;
      octets++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return false;
    }
  }
  return octets === 4 && first >= 1 && first <= 223 && first !== 127;
}
