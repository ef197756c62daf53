/**
 * IPv6 addresses, by parsing rather than by one large regex: a candidate is a
 * maximal run of hex digits, `:` and `.` (at most 45 characters, the longest
 * textual IPv6 address) around a `:`, not glued to a word character; it is
 * an address when it parses per RFC 4291 §2.2 — eight groups of 1–4 hex
 * digits, or fewer with exactly one `::`, the last 32 bits optionally in
 * dotted IPv4 — and is neither the unspecified address `::` nor loopback
 * `::1`. Times (`10:30:00`) and MAC addresses (six groups) do not parse.
 * Each run is examined once, so the work is linear.
 */
import type { Scanner, Span, SpanSink } from '../engine/Span.ts';
import { CLASS_COLON, codeAt, isHex, isWord } from './chars.ts';

const TEXT_MAX = 45;

const inRun = (c: number): boolean => isHex(c) || c === 58 || c === 46;

export function ipv6Scanner(): Scanner {
  return {
    types: ['ipv6'],
    requires: CLASS_COLON,
    scan(text: string, out: SpanSink): void {
      let colon = text.indexOf(':');
      while (colon !== -1) {
        let start = colon;
        while (start > 0 && colon - start <= TEXT_MAX && inRun(text.charCodeAt(start - 1))) start--;
        let end = colon + 1;
        let colons = 1;
        for (let c = codeAt(text, end); inRun(c); c = codeAt(text, ++end)) if (c === 58) colons++;
        const span = colons >= 2 ? candidate(text, start, end) : undefined;
        if (span !== undefined) out.push(span);
        colon = text.indexOf(':', end);
      }
    },
  };
}

function candidate(text: string, start: number, runEnd: number): Span | undefined {
  let end = runEnd;
  while (end > start && text.charCodeAt(end - 1) === 46) end--; // sentence dot
  if (text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58) end--; // `addr: ...`
  if (end - start < 2 || end - start > TEXT_MAX) return undefined;
  if (inRun(codeAt(text, start - 1)) || isWord(codeAt(text, start - 1))) return undefined;
  if (isWord(codeAt(text, runEnd))) return undefined;
  const groups = parseIpv6(text.slice(start, end));
  if (groups === undefined) return undefined;
  const loopbackOrUnspecified = groups.slice(0, 7).every((g) => g === 0) && (groups[7] ?? 0) <= 1;
  return loopbackOrUnspecified ? undefined : { start, end, type: 'ipv6' };
}

/** The eight 16-bit groups of a textual IPv6 address, or undefined when `s` is not one. */
export function parseIpv6(s: string): number[] | undefined {
  const compressed = s.indexOf('::');
  if (compressed !== s.lastIndexOf('::') || s.includes(':::')) return undefined;
  const head = compressed < 0 ? s : s.slice(0, compressed);
  const tail = compressed < 0 ? '' : s.slice(compressed + 2);
  const headGroups = parseGroups(head, compressed < 0);
  const tailGroups = parseGroups(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const explicit = headGroups.length + tailGroups.length;
  if (compressed < 0) return explicit === 8 ? headGroups : undefined;
  if (explicit > 7) return undefined;
  return [...headGroups, ...new Array<number>(8 - explicit).fill(0), ...tailGroups];
}

/** Groups of a `:`-separated part (`''` is none); a dotted IPv4 is allowed last when `ipv4Last`. */
function parseGroups(part: string, ipv4Last: boolean): number[] | undefined {
  if (part === '') return [];
  const pieces = part.split(':');
  const groups: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? '';
    if (ipv4Last && i === pieces.length - 1 && piece.includes('.')) {
      if (!isDottedQuad(piece)) return undefined;
      const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
      groups.push(a * 256 + b, c * 256 + d);
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
    groups.push(parseInt(piece, 16));
  }
  return groups;
}

/** Four decimal octets 0–255 without leading zeros (any value: the IPv4 host rules do not apply here). */
function isDottedQuad(s: string): boolean {
  return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s);
}
