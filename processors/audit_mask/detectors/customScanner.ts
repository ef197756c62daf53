/**
 * A custom pattern: a named regular expression in RE2 syntax, matched in
 * linear time (engine/linearRegex.ts). Empty matches are skipped. Its work
 * is paid from the record's `PatternWork` budget by the StringScanner.
 */
import type { LinearRegex } from '../engine/linearRegex.ts';
import type { SpanSink } from '../engine/Span.ts';

export interface CustomPattern {
  readonly type: string;
  readonly regex: LinearRegex;
}

/** Appends the non-empty matches of `pattern` in `text`. */
export function findCustom(pattern: CustomPattern, text: string, out: SpanSink): void {
  const { type, regex } = pattern;
  regex.forEachMatch(text, (start, end) => {
    if (end > start) out.push({ start, end, type });
  });
}
