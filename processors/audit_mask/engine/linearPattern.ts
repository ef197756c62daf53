/**
 * The rule that keeps custom patterns fast on any input. JavaScript regular
 * expressions backtrack, so a pattern like `(a+)+$` takes exponential time and
 * `[a-z]+@` quadratic time on hostile input. A custom pattern is accepted only
 * when every quantifier is bounded (`?`, `{n}`, `{m,n}`; no `*`, `+` or
 * `{m,}`), no quantified group contains a quantifier or an alternation,
 * there are no backreferences, and the product of the quantifiers' ranges
 * (the number of ways the pattern can split a match) is at most
 * `SPLITS_MAX`. Then matching from one start position does bounded work,
 * and a scan is linear in the length of the string.
 */

export const SPLITS_MAX = 65_536;
export const REPEAT_MAX = 1_024;

interface Frame {
  quantified: boolean;
  alternation: boolean;
}

/** Why `source` (RE2 syntax) is not accepted as a custom pattern, or undefined when it is. */
export function linearPatternProblem(source: string): string | undefined {
  const stack: Frame[] = [{ quantified: false, alternation: false }];
  let splits = 1;
  let lastGroup: Frame | undefined;
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const top = stack[stack.length - 1] as Frame;
    const quantifier = readQuantifier(source, i);
    if (quantifier !== undefined) {
      if (quantifier.max === undefined) {
        return `unbounded repetition "${quantifier.text}" is not allowed: use a bounded one such as {1,64}`;
      }
      if (quantifier.max > REPEAT_MAX) return `repetition "${quantifier.text}" exceeds ${REPEAT_MAX}`;
      const range = quantifier.max - quantifier.min + 1;
      if (range > 1) {
        if (lastGroup !== undefined && (lastGroup.quantified || lastGroup.alternation)) {
          return 'a repeated group may not contain a repetition or an alternation (catastrophic backtracking)';
        }
        top.quantified = true;
        splits *= range;
        if (splits > SPLITS_MAX) return `the repetitions allow more than ${SPLITS_MAX} ways to split a match`;
      }
      lastGroup = undefined;
      i += quantifier.text.length;
      if (source[i] === '?') i++; // lazy
      continue;
    }
    lastGroup = undefined;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))
        return 'backreferences are not allowed';
      i += /[pPx]/.test(next) && source[i + 2] === '{' ? source.indexOf('}', i) + 1 || source.length : 2;
    } else if (c === '[') {
      i = classEnd(source, i);
    } else if (c === '(') {
      stack.push({ quantified: false, alternation: false });
      i = groupBodyStart(source, i);
    } else if (c === ')') {
      const frame = stack.length > 1 ? (stack.pop() as Frame) : top;
      const parent = stack[stack.length - 1] as Frame;
      parent.quantified ||= frame.quantified;
      parent.alternation ||= frame.alternation;
      lastGroup = frame;
      i++;
    } else {
      if (c === '|') top.alternation = true;
      i++;
    }
  }
  return undefined;
}

interface Quantifier {
  readonly text: string;
  readonly min: number;
  /** undefined: unbounded. */
  readonly max: number | undefined;
}

function readQuantifier(source: string, i: number): Quantifier | undefined {
  const c = source[i];
  if (c === '*') return { text: '*', min: 0, max: undefined };
  if (c === '+') return { text: '+', min: 1, max: undefined };
  if (c === '?') return { text: '?', min: 0, max: 1 };
  if (c !== '{') return undefined;
  const m = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(source.slice(i, i + 16));
  if (m === null) return undefined; // a literal brace
  const min = Number(m[1]);
  if (m[2] === undefined) return { text: m[0], min, max: min };
  return { text: m[0], min, max: m[3] === '' ? undefined : Number(m[3]) };
}

/** Index just past the character class that starts at `i`. */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') {
    if (source[j] === '\\') j += 2;
    else if (source.startsWith('[:', j)) j = source.indexOf(':]', j) + 2 || source.length;
    else j++;
  }
  return j + 1;
}

/** Index of the first character of the group body that starts at `i` (after `(?:`, `(?P<name>`...). */
function groupBodyStart(source: string, i: number): number {
  if (source[i + 1] !== '?') return i + 1;
  const rest = source.slice(i + 2, i + 2 + 260);
  const named = /^P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(rest);
  if (named !== null) return i + 2 + named[0].length;
  const lookaround = /^(?:[:=!]|<[=!])/.exec(rest);
  if (lookaround !== null) return i + 2 + lookaround[0].length;
  const flags = /^[imsU-]*:?/.exec(rest);
  return i + 2 + (flags?.[0].length ?? 0);
}
