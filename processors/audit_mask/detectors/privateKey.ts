/**
 * PEM / PGP private key blocks: from `-----BEGIN <label>PRIVATE KEY-----`
 * (`RSA `, `EC `, `OPENSSH `, `ENCRYPTED `, PGP's `... PRIVATE KEY BLOCK`)
 * to the matching `-----END ...-----`. A block without its END line (cut
 * off by a size limit) is masked to the end of the string. After an END the
 * search resumes behind it, and a block without END ends the search, so the
 * work is linear.
 */
import type { SpanSink } from '../engine/Span.ts';

export function findPrivateKeys(text: string, out: SpanSink): void {
  const header = /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----/g;
  for (let m = header.exec(text); m !== null; m = header.exec(text)) {
    const endLine = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
    const endAt = text.indexOf(endLine, m.index + m[0].length);
    if (endAt < 0) {
      out.push({ start: m.index, end: text.length, type: 'private_key' });
      return;
    }
    const end = endAt + endLine.length;
    out.push({ start: m.index, end, type: 'private_key' });
    header.lastIndex = end;
  }
}
