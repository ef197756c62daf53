/**
 * What a detector reports: a half-open range `[start, end)` of UTF-16 code
 * units of the scanned string, and the detector name (`credit_card`).
 */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly type: string;
}

/**
 * One scanner finds the spans of one or more detector types in a string.
 *
 * Contract (the reason masking has bounded cost): `scan` does work linear in
 * `text.length` — each position is looked at a bounded number of times — and
 * never throws on any input. Scanners are built once, at configuration time,
 * with only the detector types that are enabled.
 */
export interface Scanner {
  readonly types: readonly string[];
  scan(text: string, out: Span[]): void;
}
