/**
 * Rejects, at configuration time, user regular expressions whose matching
 * time can explode. Collector configs are written for RE2, which runs in
 * linear time; JavaScript's engine backtracks, and one record's value
 * matched against `(a+)+$` blocks the event loop — and every acknowledgement
 * — for minutes. Measured (Node 24, one `test()` on a 16,384-character value
 * without a match): `\d+x` 175 ms, `.*x` 220 ms, `.*.*x` and `(a+)+$` did
 * not finish in two minutes.
 *
 * Refused (each with the reason):
 * - a group repeated without bound that contains a repetition or an
 *   alternation (`(a+)+`, `(\w+\s?)*`, `(a|aa)+`): exponential;
 * - backreferences (`\1`, `\k<name>`): not RE2, and exponential;
 * - a pattern whose worst case is above n^`DEGREE_MAX` steps on a value of n
 *   characters.
 *
 * The degree d of the worst case counts 1 for an unanchored start (the engine
 *   tries every position), 1 for scanning when there is any unbounded
 *   repetition (`*`, `+`, `{m,}`), and 1 for each unbounded repetition but
 *   the last that can give back characters the text after it can also match
 *   (`.*.*x`, `[a-z]+[a-z0-9]+@`, `.*a.*b`); one followed by something that
 *   cannot match what it matched (`\d+\.`) adds nothing. Inside a bounded
 *   repeat `{m,n}` a repetition counts n times.
 *
 * The input cap follows from the degree, so that n^d stays within
 * `STEPS_MAX` (2^24, 50-100 ms measured): degree 0-1 16,384 characters
 * (`REGEX_INPUT_LENGTH_MAX`), 2 (`\d+x`) 4,096, 3 (`.*.*x`, and the
 * Collector's own `extract` example
 * `^(?P<a>.*):\/\/(?P<b>.*)\/(?P<c>.*)(?:\?|\&)(?P<d>.*)`) 256, 4 64.
 *
 * The analysis is syntactic and conservative: it may refuse a pattern that is
 * in fact safe (`(GET|POST)+`); the message says how to rewrite.
 */

export const DEGREE_MAX = 4;

/** Characters tried to tell whether two atoms can match the same character. */
const PROBES = [
  ...Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)),
  '\u00a0',
  'é',
  'ß',
  'Σ',
  '中',
  '\u2028',
  '😀',
];

interface Quantifier {
  readonly min: number;
  /** undefined: unbounded. */
  readonly max: number | undefined;
  readonly length: number;
}

export type BacktrackingAnalysis =
  { readonly ok: true; readonly degree: number } | { readonly ok: false; readonly message: string };

/** The degree of `source`'s worst case (JavaScript syntax, as compiled with `flags`), or why it is refused. */
export function analyzeBacktracking(source: string, flags: string): BacktrackingAnalysis {
  try {
    const scan = new Scanner(source, flags);
    scan.sequence(1, false);
    const anchored = anchoredStart(source, flags);
    const degree = (anchored ? 0 : 1) + scan.degree();
    if (degree > DEGREE_MAX) {
      return {
        ok: false,
        message:
          `it can take on the order of n^${degree} steps on a value of n characters (unbounded repetitions ` +
          `that can match the same text${anchored ? '' : ', tried from every position'}; at most n^${DEGREE_MAX}): ` +
          'anchor it with ^, drop a leading or repeated .*, or follow each repetition with a character it cannot match',
      };
    }
    return { ok: true, degree };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, message: err.message };
    throw err;
  }
}

/**
 * Steps one test may take: n^degree stays within this. 2^24 steps took 50-100 ms, measured on a
 * loaded 2-core machine (a quadratic pattern, `\d+x`, on 4,096 characters: ~80 ms).
 */
export const STEPS_MAX = 2 ** 24;

/** The longest value a pattern of this degree is tested on (at most `capMax`). */
export function inputLengthMaxFor(degree: number, capMax: number): number {
  if (degree <= 1) return capMax;
  return Math.min(capMax, Math.floor(STEPS_MAX ** (1 / degree) + 1e-9));
}

class Refusal extends Error {}

function anchoredStart(source: string, flags: string): boolean {
  return source.startsWith('^') && !flags.includes('m');
}

/** Reads a quantifier at `i`: `*`, `+`, `?`, `{n}`, `{m,}`, `{m,n}` (a lazy `?` after it included). */
function readQuantifier(source: string, i: number): Quantifier | undefined {
  const c = source[i];
  let q: Quantifier | undefined;
  if (c === '*') q = { min: 0, max: undefined, length: 1 };
  else if (c === '+') q = { min: 1, max: undefined, length: 1 };
  else if (c === '?') q = { min: 0, max: 1, length: 1 };
  else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? undefined : Number(m[3]);
    q = { min, max, length: m[0].length };
  }
  if (q && source[i + q.length] === '?') q = { ...q, length: q.length + 1 };
  return q;
}

/** The text of the atom at `i` and where it ends (for an escape, a class, `.` or a literal). */
function simpleAtomEnd(source: string, i: number): number {
  const c = source[i];
  if (c === '\\') {
    const next = source[i + 1] ?? '';
    if (/[pPu]/.test(next) && source[i + 2] === '{') return source.indexOf('}', i) + 1 || source.length;
    if (next === 'x') return i + 4;
    if (next === 'u') return i + 6;
    if (next === 'c') return i + 3;
    return i + 2;
  }
  if (c === '[') {
    let j = i + 1;
    if (source[j] === '^') j++;
    if (source[j] === ']') j++;
    for (; j < source.length; j++) {
      if (source[j] === '\\') j++;
      else if (source[j] === ']') return j + 1;
    }
    return source.length;
  }
  return i + 1;
}

const ZERO_WIDTH = new Set(['^', '$']);

interface Repetition {
  /** It can give back characters that the text after it can match. */
  readonly overlaps: boolean;
  /** How many times it occurs (bounded repeats around it). */
  readonly weight: number;
}

class Scanner {
  private i = 0;
  private readonly repetitions: Repetition[] = [];
  private readonly source: string;
  private readonly flags: string;

  constructor(source: string, flags: string) {
    this.source = source;
    this.flags = flags;
  }

  /** A repetition that ends the pattern (or its alternative) never has to give back: it costs nothing. */
  private addRepetition(overlaps: boolean | 'end', weight: number): void {
    if (overlaps !== 'end') this.repetitions.push({ overlaps, weight });
  }

  /** 1 for scanning if there is an unbounded repetition, plus one per compounding repetition (see the file comment). */
  degree(): number {
    const reps = this.repetitions;
    const last = reps[reps.length - 1];
    if (!last) return 0;
    let d = 1;
    for (const r of reps) if (r.overlaps) d += r.weight;
    return last.overlaps ? d - 1 : d;
  }

  /**
   * Scans a sequence (with alternatives) up to `)` or the end; returns how many repetitions in it
   * count towards backtracking, each weighted by `weight` (the bounded repeats around it).
   * `inRepeat`: inside a group repeated without bound (where a repetition or `|` is refused).
   */
  sequence(weight: number, inRepeat: boolean): number {
    let count = 0;
    const s = this.source;
    while (this.i < s.length && s[this.i] !== ')') {
      const c = s[this.i] as string;
      if (c === '|') {
        if (inRepeat) throw new Refusal(refusedRepeat('an alternation'));
        this.i++;
        continue;
      }
      if (ZERO_WIDTH.has(c)) {
        this.i++;
        continue;
      }
      if (c === '\\' && /[1-9]/.test(s[this.i + 1] ?? '')) throw new Refusal(BACKREFERENCE);
      if (c === '\\' && s[this.i + 1] === 'k' && s[this.i + 2] === '<') throw new Refusal(BACKREFERENCE);
      if (c === '\\' && /[bB]/.test(s[this.i + 1] ?? '')) {
        this.i += 2;
        continue;
      }
      const start = this.i;
      if (c === '(') {
        count += this.group(weight, inRepeat);
        continue;
      }
      this.i = simpleAtomEnd(s, this.i);
      const atom = s.slice(start, this.i);
      const q = readQuantifier(s, this.i);
      if (!q) continue;
      this.i += q.length;
      if (inRepeat && (q.max === undefined || q.max > 1)) throw new Refusal(refusedRepeat('a repetition'));
      if (q.max === undefined) this.addRepetition(this.overlapsFollower(atom), weight);
    }
    return count;
  }

  /** A group at `this.i` and its quantifier, if any. */
  private group(weight: number, inRepeat: boolean): number {
    const s = this.source;
    const open = this.i;
    this.i++;
    const lookaround = /^\?(?:[=!]|<[=!])/.exec(s.slice(this.i));
    if (s[this.i] === '?') {
      const named = /^\?<[A-Za-z_$][\w$]*>/.exec(s.slice(this.i));
      this.i += lookaround ? lookaround[0].length : named ? named[0].length : 2;
    }
    // Find the group's quantifier first: it decides how the body is judged.
    const bodyStart = this.i;
    const close = this.matchingParen(open);
    const q = readQuantifier(s, close + 1);
    const unbounded = q !== undefined && q.max === undefined;
    this.i = bodyStart;
    const innerWeight = q !== undefined && q.max !== undefined ? weight * Math.max(1, q.max) : weight;
    const inner = this.sequence(innerWeight, inRepeat || unbounded);
    this.i = close + 1 + (q?.length ?? 0);
    if (lookaround) return 0;
    if (inRepeat && q !== undefined && (q.max === undefined || q.max > 1))
      throw new Refusal(refusedRepeat('a repetition'));
    if (unbounded) this.addRepetition(this.overlapsFollower(undefined), weight);
    return inner;
  }

  private matchingParen(open: number): number {
    const s = this.source;
    let depth = 0;
    for (let j = open; j < s.length; j++) {
      const c = s[j];
      if (c === '\\') j++;
      else if (c === '[') j = simpleAtomEnd(s, j) - 1;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return j;
    }
    return s.length;
  }

  /**
   * 'end' when a repetition of `atom` ends the pattern or its alternative; false when it cannot give
   * back characters that what follows it could match: each following atom (past those that may be skipped)
   * matches none of the characters `atom` matches. A group, or a follower that is not a single
   * character atom, counts as overlapping.
   */
  private overlapsFollower(atom: string | undefined): boolean | 'end' {
    const s = this.source;
    let j = this.i;
    for (;;) {
      while (s[j] === ')' && readQuantifier(s, j + 1) === undefined) j++;
      while (s[j] === '(' && /^\((?:\?:|\?<[A-Za-z_$][\w$]*>)?/.test(s.slice(j))) {
        const open = /^\((?:\?:|\?<[A-Za-z_$][\w$]*>)?/.exec(s.slice(j)) as RegExpExecArray;
        if (s[j + 1] === '?' && open[0].length === 1) return true; // a lookaround
        if (this.hasTopLevelAlternation(j)) return true;
        j += open[0].length;
      }
      if (j >= s.length || s[j] === '|') return 'end';
      if (s[j] === '$' && (j + 1 >= s.length || s[j + 1] === ')' || s[j + 1] === '|')) return 'end';
      if (atom === undefined || '()^$|'.includes(s[j] as string)) return true;
      const end = simpleAtomEnd(s, j);
      const follower = s.slice(j, end);
      if (this.intersects(atom, follower)) return true;
      const q = readQuantifier(s, end);
      if (q === undefined || q.min > 0) return false;
      j = end + q.length;
    }
  }

  private hasTopLevelAlternation(open: number): boolean {
    const close = this.matchingParen(open);
    let depth = 0;
    for (let j = open + 1; j < close; j++) {
      const c = this.source[j];
      if (c === '\\') j++;
      else if (c === '[') j = simpleAtomEnd(this.source, j) - 1;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === '|' && depth === 0) return true;
    }
    return false;
  }

  /** True when some probe character matches both single-character atoms (or either cannot be compiled alone). */
  private intersects(a: string, b: string): boolean {
    try {
      const ra = new RegExp(`^(?:${a})$`, this.flags);
      const rb = new RegExp(`^(?:${b})$`, this.flags);
      return PROBES.some((c) => ra.test(c) && rb.test(c));
    } catch {
      return true;
    }
  }
}

const BACKREFERENCE = 'backreferences (\\1, \\k<name>) are not allowed: RE2 does not support them';

function refusedRepeat(what: string): string {
  return (
    `a group repeated without bound contains ${what} (catastrophic backtracking: RE2 runs it in linear time, ` +
    'JavaScript in exponential time); rewrite it without nesting, e.g. (a+)+ as a+'
  );
}
