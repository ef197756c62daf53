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

  /** Empties the list, keeping its capacity (spans hold positions and detector names, no data). */
  clear(): void {
    this.count = 0;
  }
}
