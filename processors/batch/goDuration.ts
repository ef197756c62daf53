/**
 * Go's `time.ParseDuration` syntax, which the Collector uses for durations
 * in YAML: a possibly signed sequence of decimal numbers, each with a unit —
 * `ns`, `us` (or `µs`, `μs`), `ms`, `s`, `m`, `h` — such as `200ms`, `1m30s`,
 * `1.5h`; `0` alone is zero. A plain YAML integer is taken as nanoseconds, as
 * the Collector's decoder does for a `time.Duration` field.
 */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const PART = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Nanoseconds (a double: exact up to about 104 days), or undefined when `text` is not a Go duration. */
export function parseGoDurationNs(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  let index = 0;
  while (index < rest.length) {
    PART.lastIndex = index;
    const match = PART.exec(rest);
    const [whole, number = '', unit = ''] = match ?? [];
    if (match === null || whole === undefined || number === '' || number === '.') return undefined;
    total += Number(number) * (UNIT_NS[unit] ?? NaN);
    index += whole.length;
  }
  return Number.isFinite(total) ? sign * total : undefined;
}
