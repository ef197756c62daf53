/**
 * A custom pattern: a named regular expression (RE2 syntax, translated by the
 * filter processor's `compileRegex`) that passed the linear-time rule of
 * engine/linearPattern.ts. Empty matches are skipped.
 */
import type { Scanner, Span } from '../engine/Span.ts';

export function customScanner(type: string, regex: RegExp): Scanner {
  const global = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
  return {
    types: [type],
    scan(text: string, out: Span[]): void {
      global.lastIndex = 0;
      for (let m = global.exec(text); m !== null; m = global.exec(text)) {
        if (m[0].length === 0) {
          global.lastIndex++;
          continue;
        }
        out.push({ start: m.index, end: m.index + m[0].length, type });
      }
    },
  };
}
