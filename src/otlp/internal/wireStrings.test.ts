import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { WireStrings, type SlicingBuffer } from './wireStrings.ts';

/** The strings laid out one after another (with a byte between), and where each is. */
function layout(...strings: Uint8Array[]): { buf: SlicingBuffer; at: Array<[number, number]> } {
  const buf = Buffer.alloc(
    strings.reduce((n, s) => n + s.length + 1, 1),
    0x41,
  ) as SlicingBuffer;
  const at: Array<[number, number]> = [];
  let pos = 1;
  for (const s of strings) {
    buf.set(s, pos);
    at.push([pos, pos + s.length]);
    pos += s.length + 1;
  }
  return { buf, at };
}

describe('WireStrings', () => {
  it('decodes valid UTF-8 exactly as TextDecoder, and refuses invalid UTF-8', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 70 }).map((s) => new Uint8Array(Buffer.from(s))),
          fc.uint8Array({ maxLength: 70 }),
          fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => new Uint8Array(Buffer.from(s))),
        ),
        (bytes) => {
          let expected: string | undefined;
          try {
            expected = strict.decode(bytes);
          } catch {
            expected = undefined;
          }
          const { buf, at } = layout(bytes, bytes);
          const strings = new WireStrings(buf);
          for (const [start, end] of at) expect(strings.utf8(start, end)).toBe(expected); // the 2nd from the table
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes repeated short ASCII bytes (attribute keys) once per input, and never returns a wrong string', () => {
    const { buf, at } = layout(
      Buffer.from('http.request.method'),
      Buffer.from('http.request.method'),
      // same length and sampled bytes (0, 1, middle, last two): the same slot, a different string
      Buffer.from('http.xequest.method'),
      Buffer.from('http.request.method'),
      Buffer.from('http.request.méthod'),
    );
    const strings = new WireStrings(buf);
    const latin1 = vi.spyOn(buf, 'latin1Slice');
    const decoded = at.map(([start, end]) => strings.utf8(start, end));
    expect(decoded).toEqual([
      'http.request.method',
      'http.request.method',
      'http.xequest.method',
      'http.request.method',
      'http.request.méthod',
    ]);
    expect(latin1).toHaveBeenCalledTimes(3); // the 2nd was found; the 3rd took its slot, so the 4th was not
    // a table belongs to one input: what a sender sent is not kept for the next one
    const again = layout(Buffer.from('http.request.method'));
    const latin1Again = vi.spyOn(again.buf, 'latin1Slice');
    expect(new WireStrings(again.buf).utf8(...(again.at[0] as [number, number]))).toBe('http.request.method');
    expect(latin1Again).toHaveBeenCalledTimes(1);
  });
});
