/**
 * Runs every enabled scanner, then the custom patterns, over a string and
 * returns the spans to mask:
 * sorted, without overlaps. Where spans overlap, the one that starts first
 * wins, then the longer one, then the detector listed first (more specific
 * detectors are listed first, see compileMask.ts). Scanning a string costs
 * the sum of the scanners' linear passes. The custom patterns' work is paid
 * from the record's `PatternWork` first (PatternWork.ts); when it cannot
 * pay, `scan` returns `PATTERN_LIMIT` and the caller redacts the string.
 *
 * Short strings found clean (`success`, `POST`, `/api/v1/users`) are
 * remembered, so the values that repeat from record to record are scanned
 * once: at most `CLEAN_CACHE_ENTRIES_MAX` strings of at most
 * `CLEAN_CACHE_LENGTH_MAX` characters, cleared when full. Only clean strings
 * are kept: no detected value outlives the record it came in.
 */
import { CLASS_ALL, charClasses } from '../detectors/chars.ts';
import { findCustom, type CustomPattern } from '../detectors/customScanner.ts';
import { patternWorkUnits } from './linearRegex.ts';
import type { PatternWork } from './PatternWork.ts';
import { SpanList, type Scanner, type Span } from './Span.ts';

/** `scan`'s answer when the record's pattern work budget cannot pay for the custom patterns. */
export const PATTERN_LIMIT: unique symbol = Symbol('pattern_limit');

const NONE: readonly Span[] = Object.freeze([]);
export const CLEAN_CACHE_LENGTH_MAX = 64;
export const CLEAN_CACHE_ENTRIES_MAX = 8192;
/** Strings up to this length get the character-class pre-check. */
const CLASS_CHECK_LENGTH_MAX = 48;

export class StringScanner {
  private readonly scanners: readonly Scanner[];
  /** `requires` of each scanner (0: always run). */
  private readonly requires: readonly number[];
  private readonly customs: readonly CustomPattern[];
  private readonly rank: ReadonlyMap<string, number>;
  /** Clean strings and their UTF-8 length (so the scan budget can be charged without measuring them again). */
  private readonly clean = new Map<string, number>();
  /** Scratch list the scanners fill; `scan` is synchronous, so one serves every call. */
  private readonly found = new SpanList();
  /** Where spans overlap: the one that starts first, then the longer one, then the detector listed first. */
  private readonly order: (a: Span, b: Span) => number;

  constructor(scanners: readonly Scanner[], customs: readonly CustomPattern[] = []) {
    this.scanners = scanners;
    this.requires = scanners.map((s) => s.requires ?? 0);
    this.customs = customs;
    const types = [...scanners.flatMap((s) => s.types), ...customs.map((c) => c.type)];
    this.rank = new Map(types.map((type, i) => [type, i]));
    const rank = this.rank;
    this.order = (a, b) =>
      a.start - b.start || b.end - a.end || (rank.get(a.type) ?? 0) - (rank.get(b.type) ?? 0);
  }

  /** The UTF-8 length of `text` when it is a remembered clean string (scanning it finds nothing), else undefined. */
  cleanBytes(text: string): number | undefined {
    return text.length <= CLEAN_CACHE_LENGTH_MAX ? this.clean.get(text) : undefined;
  }

  /**
   * `work`: the record's budget for custom patterns (undefined: unlimited, for tests and tools).
   * The spans returned are a new array (exactly as long as needed) of new spans.
   */
  scan(text: string, work?: PatternWork): readonly Span[] | typeof PATTERN_LIMIT {
    const cacheable = text.length <= CLEAN_CACHE_LENGTH_MAX;
    if (cacheable && this.clean.has(text)) return NONE;
    const found = this.found;
    found.clear();
    // Short strings (ids, IPs, paths: most attribute values) first get one pass over their characters so
    // the scanners that need a character class they lack are not run; on longer ones that pass costs more
    // than it saves (most scanners start with a native indexOf / regex search).
    const classes = text.length <= CLASS_CHECK_LENGTH_MAX ? charClasses(text) : CLASS_ALL;
    const { scanners, requires } = this;
    for (let i = 0; i < scanners.length; i++) {
      const needed = requires[i] as number;
      if ((classes & needed) === needed) (scanners[i] as Scanner).scan(text, found);
    }
    if (this.customs.length > 0) {
      let units = 0;
      for (const custom of this.customs) units += patternWorkUnits(custom.regex, text);
      if (work !== undefined && !work.take(units)) return PATTERN_LIMIT;
      for (const custom of this.customs) findCustom(custom, text, found);
    }
    const count = found.count;
    if (count === 0) {
      if (cacheable) {
        if (this.clean.size >= CLEAN_CACHE_ENTRIES_MAX) this.clean.clear();
        this.clean.set(text, Buffer.byteLength(text, 'utf8'));
      }
      return NONE;
    }
    if (count === 1) return [found.items[0] as Span];
    const sorted = found.items.slice(0, count);
    sortSpans(sorted, this.order);
    // Keep the spans that do not overlap an earlier kept one, compacting `sorted` in place.
    let kept = 0;
    let end = -1;
    for (let i = 0; i < count; i++) {
      const span = sorted[i] as Span;
      if (span.start >= end && span.end > span.start) {
        sorted[kept++] = span;
        end = span.end;
      }
    }
    sorted.length = kept;
    return sorted;
  }
}

const INSERTION_SORT_MAX = 16;

/**
 * Stable sort of `spans` in place by `order`. A string has few spans (one to
 * three on the bench records): insertion sort, which allocates nothing, where
 * V8's sort allocated ~200 bytes per bench record (heap sampling); more than
 * INSERTION_SORT_MAX spans use `Array.prototype.sort` (also stable).
 */
function sortSpans(spans: Span[], order: (a: Span, b: Span) => number): void {
  if (spans.length > INSERTION_SORT_MAX) {
    spans.sort(order);
    return;
  }
  for (let i = 1; i < spans.length; i++) {
    const span = spans[i] as Span;
    let j = i - 1;
    for (; j >= 0 && order(spans[j] as Span, span) > 0; j--) spans[j + 1] = spans[j] as Span;
    spans[j + 1] = span;
  }
}
