/**
 * Times on the command line and in output, as unsigned 64-bit nanoseconds
 * since the Unix epoch (the WAL's and OTLP's unit).
 *
 * Accepted: RFC 3339 date-times with an offset (`2026-11-26T10:00:00Z`,
 * `2026-11-26T11:00:00.123456789+01:00`; `T` or a space, up to 9 fractional
 * digits; no leap second `:60`), or the nanoseconds as a decimal integer.
 * Written: RFC 3339 in UTC with exactly 9 fractional digits, so that text
 * order is time order.
 */
export const UINT64_MAX = 2n ** 64n - 1n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** The time in unix nanoseconds, or a message saying what is wrong. */
export function parseTimeUnixNano(text: string): bigint | string {
  if (/^\d+$/.test(text)) {
    const ns = BigInt(text);
    return ns > UINT64_MAX ? `${text} is beyond the largest time (2^64-1 ns)` : ns;
  }
  const m = RFC3339.exec(text);
  if (m === null) {
    return 'expected an RFC 3339 date-time (2026-11-26T10:00:00Z) or unix nanoseconds (1795687200000000000)';
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ?? '';
  if (fraction.length > 9) return 'at most 9 fractional digits (nanoseconds)';
  if (month < 1 || month > 12) return `month ${m[2]} is not 01-12`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${m[3]} does not exist in ${m[1]}-${m[2]}`;
  if (hour > 23 || minute > 59 || second > 59) return `time ${m[4]}:${m[5]}:${m[6]} is out of range`;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHour = Number(m[10]);
    const offsetMinute = Number(m[11]);
    if (offsetHour > 23 || offsetMinute > 59) return `offset ${m[9]}${m[10]}:${m[11]} is out of range`;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  const dateMs = new Date(0).setUTCFullYear(year, month - 1, day);
  const ms = dateMs + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000;
  const ns = BigInt(ms) * NS_PER_MS + BigInt(fraction.padEnd(9, '0'));
  if (ns < 0n) return `${text} is before the Unix epoch`;
  if (ns > UINT64_MAX) return `${text} is beyond the largest time (2^64-1 ns)`;
  return ns;
}

/** RFC 3339 in UTC with nanoseconds: `2026-11-26T10:00:00.000000000Z`. */
export function formatTimeUnixNano(ns: bigint): string {
  const seconds = ns / NS_PER_S;
  const fraction = (ns % NS_PER_S).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}
