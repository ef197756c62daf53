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
  /**
   * Character classes (detectors/chars.ts `CLASS_*`) that every match needs,
   * OR-ed: the StringScanner does not run the scanner on a short string that
   * lacks one of them. 0 or absent: always run.
   */
  readonly requires?: number;
  scan(text: string, out: SpanSink): void;
}

/** Where scanners put the spans they find: an array, or the StringScanner's reused `SpanList`. */
export interface SpanSink {
  push(span: Span): unknown;
}

/** Spans a `SpanList` keeps room for across strings (more than a typical record ever finds). */
export const SPANS_KEPT_MAX = 1024;

/**
 * The StringScanner's scratch list of found spans, reused from string to
 * string: a fresh array per scanned string (grown on its first `push`) was
 * ~150 bytes of garbage per string, and `length = 0` frees the backing store,
 * so the list keeps its own count.
 */
export class SpanList implements SpanSink {
  readonly items: Span[] = [];
  count = 0;

  push(span: Span): void {
    this.items[this.count++] = span;
  }

  /**
   * Empties the list, keeping its capacity (spans hold positions and detector names, no data) up to
   * `SPANS_KEPT_MAX`: a larger store is freed, else one body full of matches (scan_bytes_max allows up to
   * 64 MiB: millions of spans) would stay referenced by the processor for the life of the process.
   */
  clear(): void {
    if (this.items.length > SPANS_KEPT_MAX) this.items.length = 0;
    this.count = 0;
  }
}
