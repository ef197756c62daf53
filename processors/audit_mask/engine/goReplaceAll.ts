/**
 * Go's `regexp.ReplaceAllStringFunc` semantics in JavaScript, for
 * configurations written for the Collector: successive non-overlapping
 * matches are replaced, and an empty match right after the previous match is
 * ignored — so `.*` replaces `"abc"` once (JavaScript's `String.replace`
 * would replace it, then the empty string at its end: twice) and `""` once.
 * `regex` must have the `g` flag; its `lastIndex` is reset.
 */

export function replaceAllGo(text: string, regex: RegExp, replace: (match: string) => string): string {
  regex.lastIndex = 0;
  let out = '';
  let at = 0;
  let previousEnd = -1;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start === end) {
      regex.lastIndex = advance(text, end, regex.unicode);
      if (start === previousEnd) continue;
    }
    out += text.slice(at, start) + replace(m[0]);
    at = end;
    previousEnd = end;
  }
  return out + text.slice(at);
}

/** The index after the character at `i` (a surrogate pair is one character in `u` mode). */
function advance(text: string, i: number, unicode: boolean): number {
  if (!unicode || i >= text.length) return i + 1;
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? i + 2 : i + 1;
}
