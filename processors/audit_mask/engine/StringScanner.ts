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
import { findCustom, type CustomPattern } from '../detectors/customScanner.ts';
import { patternWorkUnits } from './linearRegex.ts';
import type { PatternWork } from './PatternWork.ts';
import type { Scanner, Span } from './Span.ts';

/** `scan`'s answer when the record's pattern work budget cannot pay for the custom patterns. */
export const PATTERN_LIMIT: unique symbol = Symbol('pattern_limit');

const NONE: readonly Span[] = Object.freeze([]);
export const CLEAN_CACHE_LENGTH_MAX = 64;
export const CLEAN_CACHE_ENTRIES_MAX = 8192;

export class StringScanner {
  private readonly scanners: readonly Scanner[];
  private readonly customs: readonly CustomPattern[];
  private readonly rank: ReadonlyMap<string, number>;
  private readonly clean = new Set<string>();

  constructor(scanners: readonly Scanner[], customs: readonly CustomPattern[] = []) {
    this.scanners = scanners;
    this.customs = customs;
    const types = [...scanners.flatMap((s) => s.types), ...customs.map((c) => c.type)];
    this.rank = new Map(types.map((type, i) => [type, i]));
  }

  /** `work`: the record's budget for custom patterns (undefined: unlimited, for tests and tools). */
  scan(text: string, work?: PatternWork): readonly Span[] | typeof PATTERN_LIMIT {
    const cacheable = text.length <= CLEAN_CACHE_LENGTH_MAX;
    if (cacheable && this.clean.has(text)) return NONE;
    const found: Span[] = [];
    for (const scanner of this.scanners) scanner.scan(text, found);
    if (this.customs.length > 0) {
      let units = 0;
      for (const custom of this.customs) units += patternWorkUnits(custom.regex, text);
      if (work !== undefined && !work.take(units)) return PATTERN_LIMIT;
      for (const custom of this.customs) findCustom(custom, text, found);
    }
    if (found.length === 0) {
      if (cacheable) {
        if (this.clean.size >= CLEAN_CACHE_ENTRIES_MAX) this.clean.clear();
        this.clean.add(text);
      }
      return NONE;
    }
    if (found.length === 1) return found;
    found.sort(
      (a, b) =>
        a.start - b.start || b.end - a.end || (this.rank.get(a.type) ?? 0) - (this.rank.get(b.type) ?? 0),
    );
    const kept: Span[] = [];
    let end = -1;
    for (const span of found) {
      if (span.start >= end && span.end > span.start) {
        kept.push(span);
        end = span.end;
      }
    }
    return kept;
  }
}
