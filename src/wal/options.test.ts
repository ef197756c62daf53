import { describe, expect, it } from 'vitest';
import { FOOTER_FIXED_BYTES, INDEX_ENTRY_BYTES } from './format.ts';
import { RECORD_PAYLOAD_BYTES_MAX, resolveWalOptions } from './options.ts';

const SEGMENT_4GIB = 4 * 1024 ** 3;

describe('resolveWalOptions: the index footer of a full segment stays readable', () => {
  it('refuses an index interval that would make a footer over the readers bound, naming the smallest that works', () => {
    let message = '';
    try {
      resolveWalOptions({ dir: '/nonexistent', segmentBytesMax: SEGMENT_4GIB, indexIntervalBytes: 512 });
    } catch (err) {
      expect(err).toMatchObject({ code: 'WAL_BAD_OPTIONS' });
      message = (err as Error).message;
    }
    const least = Number(/use at least (\d+)/.exec(message)?.[1]);
    expect(least).toBeGreaterThan(512);
    // The named interval is accepted, and its largest footer is within the bound; one byte less is not.
    const ok = resolveWalOptions({
      dir: '/nonexistent',
      segmentBytesMax: SEGMENT_4GIB,
      indexIntervalBytes: least,
    });
    const entries = Math.floor(ok.segmentBytesMax / ok.indexIntervalBytes) + 1;
    expect(FOOTER_FIXED_BYTES + entries * INDEX_ENTRY_BYTES).toBeLessThanOrEqual(RECORD_PAYLOAD_BYTES_MAX);
    expect(() =>
      resolveWalOptions({
        dir: '/nonexistent',
        segmentBytesMax: SEGMENT_4GIB,
        indexIntervalBytes: least - 1,
      }),
    ).toThrow(expect.objectContaining({ code: 'WAL_BAD_OPTIONS' }));
  });

  it('the defaults, and the smallest interval with the default segment size, are accepted', () => {
    expect(() => resolveWalOptions({ dir: '/nonexistent' })).not.toThrow();
    expect(resolveWalOptions({ dir: '/nonexistent', indexIntervalBytes: 512 }).indexIntervalBytes).toBe(512);
  });
});
