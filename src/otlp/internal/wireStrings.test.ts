import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { utf8String, type SlicingBuffer } from './wireStrings.ts';

const at = (bytes: Uint8Array, offset = 3): { buf: SlicingBuffer; start: number; end: number } => {
  const buf = Buffer.alloc(bytes.length + offset + 2, 0x41) as SlicingBuffer;
  buf.set(bytes, offset);
  return { buf, start: offset, end: offset + bytes.length };
};
const decode = (bytes: Uint8Array): string | undefined => {
  const { buf, start, end } = at(bytes);
  return utf8String(buf, start, end);
};

describe('utf8String', () => {
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
          expect(decode(bytes)).toBe(expected);
          expect(decode(bytes)).toBe(expected); // again, now possibly from the cache
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes repeated short ASCII bytes (attribute keys) once, and never returns a wrong string', () => {
    expect(decode(Buffer.from('http.request.method'))).toBe('http.request.method');
    const { buf, start, end } = at(Buffer.from('http.request.method'), 11);
    const latin1 = vi.spyOn(buf, 'latin1Slice');
    const utf8 = vi.spyOn(buf, 'utf8Slice');
    expect(utf8String(buf, start, end)).toBe('http.request.method');
    expect(latin1).not.toHaveBeenCalled();
    expect(utf8).not.toHaveBeenCalled();
    // same length and sampled bytes (0, 1, middle, last two): the same cache slot, a different string
    expect(decode(Buffer.from('http.xequest.method'))).toBe('http.xequest.method');
    expect(decode(Buffer.from('http.request.method'))).toBe('http.request.method');
    expect(decode(Buffer.from('http.request.méthod'))).toBe('http.request.méthod');
  });
});
