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
 *
 * Allocation-free: a cluster is read into a reused `Cluster` (typed arrays
 * of group bounds) instead of one object per group and per cluster and a
 * closure per string. Digits are found by a `/\d/g` regex (it skips text
 * natively; a char-code loop measured no faster on the bench bodies).
 * Measured on bench/lib/piiEvents.ts strings (threadCpuUsage, /tmp
 * micro-benchmark): the numeric scanner went from ~950 to ~650-700 ns per
 * body and ~280 to ~190 ns per IPv4 attribute, and audit_mask's allocation
 * from ~3,000 to ~950 bytes per record.
 */
import { codeAt, isDigit, isWord } from './chars.ts';

export const GROUPS_MAX = 24;

/** One cluster, overwritten by every `readNextCluster` (scanning is synchronous: one owner at a time). */
export class Cluster {
  /** First character, including a leading `+` / `(`. */
  start = 0;
  /** Number of digit groups (1 to GROUPS_MAX). */
  count = 0;
  /** Total digits of all groups. */
  digits = 0;
  /** A letter or `_` follows the last group directly (`1234abc`): no match may end there. */
  gluedEnd = false;
  /** Where the search for the next cluster resumes. */
  resume = 0;
  /** Group `i`'s digits are `[starts[i], ends[i])`. */
  readonly starts = new Int32Array(GROUPS_MAX);
  readonly ends = new Int32Array(GROUPS_MAX);
}

/** Index of the first ASCII digit at or after `from`, or -1. */
function nextDigit(text: string, from: number): number {
  DIGIT.lastIndex = from;
  return DIGIT.test(text) ? DIGIT.lastIndex - 1 : -1;
}
const DIGIT = /\d/g;

/**
 * Reads the first cluster of `text` at or after `from` into `cluster`; false
 * when there is none. The next call continues from `cluster.resume`.
 */
export function readNextCluster(text: string, from: number, cluster: Cluster): boolean {
  let digit = nextDigit(text, from);
  while (digit >= 0) {
    let lead = leadBefore(text, digit);
    if (lead > 0 && isWord(codeAt(text, digit - lead - 1))) lead = 0; // `pay(4111...`: the digits still start a cluster
    const start = digit - lead;
    if (isWord(codeAt(text, start - 1))) {
      digit = nextDigit(text, skipWordRun(text, digit));
      continue;
    }
    readCluster(text, start, lead, cluster);
    const lastEnd = cluster.ends[cluster.count - 1] as number;
    cluster.resume = cluster.gluedEnd ? skipWordRun(text, lastEnd) : lastEnd;
    return true;
  }
  return false;
}

/** Length of the `+`, `(` or `+(` right before the digit at `i`. */
function leadBefore(text: string, i: number): number {
  const c1 = codeAt(text, i - 1);
  if (c1 === 43 /* + */) return 1;
  if (c1 === 40 /* ( */) return codeAt(text, i - 2) === 43 ? 2 : 1;
  return 0;
}

function readCluster(text: string, start: number, lead: number, cluster: Cluster): void {
  const { starts, ends } = cluster;
  let count = 0;
  let digits = 0;
  let i = start + lead;
  for (;;) {
    const groupStart = i;
    while (isDigit(codeAt(text, i))) i++;
    starts[count] = groupStart;
    ends[count] = i;
    digits += i - groupStart;
    count++;
    if (count === GROUPS_MAX) break;
    const sep = separatorLength(text, i);
    if (sep === 0) break;
    i += sep;
  }
  const after = codeAt(text, ends[count - 1] as number);
  cluster.start = start;
  cluster.count = count;
  cluster.digits = digits;
  cluster.gluedEnd = after !== -1 && isWord(after);
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
