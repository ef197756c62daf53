/**
 * Numeric clusters: the digit-led runs that card numbers, SSNs, phone numbers
 * and IPv4 addresses are made of, found in one left-to-right pass.
 *
 * A cluster is a run of digit groups joined by short separators (` `, `-`,
 * `.`, `)`, `) `, `)-`, ` (`, `(`), optionally led by `+` and/or `(`. It
 * starts only at a word boundary (the character before is not a letter, digit
 * or `_`): `v1.2.3` and `ID12345` start no cluster, and their whole run is
 * skipped, so no position is visited twice. A cluster holds at most
 * `GROUPS_MAX` groups; a longer run continues as the next cluster.
 */
import { codeAt, isDigit, isWord } from './chars.ts';

export const GROUPS_MAX = 24;

export interface DigitGroup {
  /** The digits are `[start, end)`. */
  readonly start: number;
  readonly end: number;
}

export interface Cluster {
  /** First character, including a leading `+` / `(`. */
  readonly start: number;
  readonly groups: readonly DigitGroup[];
  /** A letter or `_` follows the last group directly (`1234abc`): no match may end there. */
  readonly gluedEnd: boolean;
}

/** Calls `visit` for every cluster of `text`, in order. */
export function forEachCluster(text: string, visit: (cluster: Cluster) => void): void {
  const nextDigit = /\d/g; // jumps over text without digits natively; `test` allocates nothing
  while (nextDigit.test(text)) {
    const digit = nextDigit.lastIndex - 1;
    let lead = leadBefore(text, digit);
    if (lead > 0 && isWord(codeAt(text, digit - lead - 1))) lead = 0; // `pay(4111...`: the digits still start a cluster
    const start = digit - lead;
    if (isWord(codeAt(text, start - 1))) {
      nextDigit.lastIndex = skipWordRun(text, digit);
      continue;
    }
    const cluster = readCluster(text, start, lead);
    visit(cluster);
    const last = cluster.groups[cluster.groups.length - 1] as DigitGroup;
    nextDigit.lastIndex = cluster.gluedEnd ? skipWordRun(text, last.end) : last.end;
  }
}

/** Length of the `+`, `(` or `+(` right before the digit at `i`. */
function leadBefore(text: string, i: number): number {
  const c1 = codeAt(text, i - 1);
  if (c1 === 43 /* + */) return 1;
  if (c1 === 40 /* ( */) return codeAt(text, i - 2) === 43 ? 2 : 1;
  return 0;
}

function readCluster(text: string, start: number, lead: number): Cluster {
  const groups: DigitGroup[] = [];
  let i = start + lead;
  for (;;) {
    const groupStart = i;
    while (isDigit(codeAt(text, i))) i++;
    groups.push({ start: groupStart, end: i });
    if (groups.length === GROUPS_MAX) break;
    const sep = separatorLength(text, i);
    if (sep === 0) break;
    i += sep;
  }
  const last = groups[groups.length - 1] as DigitGroup;
  const after = codeAt(text, last.end);
  return { start, groups, gluedEnd: after !== -1 && isWord(after) };
}

/** Length of a separator (` `, `-`, `.`, `(`, `)`, `) `, `)-`, ` (`) at `i` that a digit follows, else 0. */
function separatorLength(text: string, i: number): number {
  const c0 = codeAt(text, i);
  const c1 = codeAt(text, i + 1);
  if (c0 === 41 /* ) */ || c0 === 32 /* space */) {
    if (isDigit(c1)) return 1;
    const second = c0 === 41 ? c1 === 32 || c1 === 45 : c1 === 40;
    return second && isDigit(codeAt(text, i + 2)) ? 2 : 0;
  }
  if (c0 === 45 || c0 === 46 || c0 === 40) return isDigit(c1) ? 1 : 0;
  return 0;
}

/** Skips a run of word characters joined by `.` / `-` (`v1.2.3-rc1`), from `i`. */
function skipWordRun(text: string, i: number): number {
  let j = i;
  for (;;) {
    while (isWord(codeAt(text, j))) j++;
    const c = codeAt(text, j);
    if ((c === 46 || c === 45) && isWord(codeAt(text, j + 1))) {
      j++;
      continue;
    }
    return Math.max(j, i + 1);
  }
}
