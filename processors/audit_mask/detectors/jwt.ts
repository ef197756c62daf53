/**
 * JSON Web Tokens (JWS compact form, and JWE's five parts): base64url parts
 * joined by dots, the first starting `eyJ` (base64 of `{"`) and decoding to a
 * JSON object with a string `alg` — so a base64 blob that is not a token,
 * or a dotted identifier, is not reported. The token must not be glued to
 * other base64url characters. Each run is read once: linear work.
 */
import type { SpanSink } from '../engine/Span.ts';
import { codeAt, isBase64Url } from './chars.ts';

const HEADER_LENGTH_MAX = 2048;

export function findJwts(text: string, out: SpanSink): void {
  let i = text.indexOf('eyJ');
  while (i !== -1) {
    const end = isBase64Url(codeAt(text, i - 1)) ? -1 : jwtEnd(text, i);
    if (end >= 0) out.push({ start: i, end, type: 'jwt' });
    i = text.indexOf('eyJ', end >= 0 ? end : runEnd(text, i));
  }
}

function runEnd(text: string, from: number): number {
  let i = from;
  while (isBase64Url(codeAt(text, i))) i++;
  return i;
}

/** End of a token whose header starts at `start`, or -1. */
function jwtEnd(text: string, start: number): number {
  const ends: number[] = [];
  let i = start;
  for (;;) {
    const e = runEnd(text, i);
    ends.push(e);
    if (ends.length === 5 || codeAt(text, e) !== 46 /* . */) break;
    i = e + 1;
  }
  // The last part (signature, or JWE tag) may be empty; the others may not.
  const parts = ends.length;
  if (parts !== 3 && parts !== 5) return -1;
  const headerEnd = ends[0] ?? start;
  if (headerEnd - start < 10 || (ends[1] ?? 0) - headerEnd - 1 < 2) return -1;
  return headerHasAlg(text.slice(start, headerEnd)) ? (ends[parts - 1] ?? -1) : -1;
}

function headerHasAlg(header: string): boolean {
  if (header.length > HEADER_LENGTH_MAX) return false;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return (
      typeof decoded === 'object' &&
      decoded !== null &&
      typeof (decoded as Record<string, unknown>)['alg'] === 'string'
    );
  } catch {
    return false;
  }
}
