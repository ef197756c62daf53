/**
 * openWalReadOnly on a frame whose length claims more than any WAL writer
 * writes (with a valid CRC, so only the length gives it away): damage at its
 * offset, never a read or copy of its claimed size. The frame's payload is a
 * hole of a sparse file (writeOversizeFrameWal): the test allocates ~1 MiB.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  writeOversizeFrameWal,
  type OversizeFrameWal,
} from '../integrity/verify/testutil/oversizeFrameWal.ts';
import { FRAME_OVERHEAD_BYTES } from './format.ts';
import { RECORD_PAYLOAD_BYTES_MAX, resolveWalOptions } from './options.ts';
import { openWalReadOnly, WAL_FRAME_BYTES_MAX, WalFrameTooLargeError } from './readOnly.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import type { ReadDamage } from './WalReader.ts';

const tmp = makeTempDir('otel-audit-readonly-');
afterAll(() => tmp.cleanup());

const payload = (s: string): Buffer => Buffer.from(s);

function oversize(name: string, frameBytes: number): { dir: string; at: OversizeFrameWal } {
  const dir = `${tmp.dir}/${name}`;
  const at = writeOversizeFrameWal(dir, { before: [payload('one')], frameBytes, after: [payload('three')] });
  return { dir, at };
}

describe('WAL_FRAME_BYTES_MAX', () => {
  it("is the writer's largest payload plus a frame's header and CRC, and the writer accepts that payload", () => {
    expect(WAL_FRAME_BYTES_MAX).toBe(RECORD_PAYLOAD_BYTES_MAX + FRAME_OVERHEAD_BYTES);
    const big = {
      dir: '/nonexistent',
      segmentBytesMax: 2 * WAL_FRAME_BYTES_MAX,
      queueBytesMax: WAL_FRAME_BYTES_MAX,
    };
    expect(resolveWalOptions({ ...big, payloadBytesMax: RECORD_PAYLOAD_BYTES_MAX }).payloadBytesMax).toBe(
      RECORD_PAYLOAD_BYTES_MAX,
    );
    expect(() => resolveWalOptions({ ...big, payloadBytesMax: RECORD_PAYLOAD_BYTES_MAX + 1 })).toThrow(
      expect.objectContaining({ code: 'WAL_BAD_OPTIONS' }),
    );
  });
});

describe('a CRC-valid frame claiming one byte more than a WAL writer writes', () => {
  const { dir, at } = oversize('over', WAL_FRAME_BYTES_MAX + 1);

  it('is damage at its offset, named too-large, and reading goes on after it (tail and full recovery)', () => {
    for (const verify of ['tail', 'full'] as const) {
      const ro = openWalReadOnly({ dir, verify });
      const damage: ReadDamage[] = [];
      const seqs = [...ro.reader.records({ onDamage: (d) => damage.push(d) })].map((r) => r.seq);
      expect(seqs).toEqual([1, 3]);
      expect(damage).toEqual([
        {
          segment: at.segment,
          offset: at.offset,
          reason: `too-large: the frame claims ${WAL_FRAME_BYTES_MAX + 1} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes`,
        },
      ]);
      expect(ro.frameTooLarge(at.segment, at.offset)).toBe(WAL_FRAME_BYTES_MAX + 1);
    }
  });

  it('recovery (verify: full) reports the region with the lost sequence number', () => {
    const ro = openWalReadOnly({ dir, verify: 'full' });
    expect(ro.report.corruptions).toEqual([
      expect.objectContaining({
        segment: at.segment,
        kind: 'bad-frame',
        offsetFrom: at.offset,
        seqFrom: 2,
        seqTo: 2,
      }),
    ]);
  });

  it('without onDamage, reading throws WalFrameTooLargeError (WAL_CORRUPT) naming segment, offset and size', () => {
    const { reader } = openWalReadOnly({ dir });
    let error: unknown;
    const seqs: number[] = [];
    try {
      for (const r of reader.records()) seqs.push(r.seq);
    } catch (err) {
      error = err;
    }
    expect(seqs).toEqual([1]);
    expect(error).toBeInstanceOf(WalFrameTooLargeError);
    expect(error).toMatchObject({
      code: 'WAL_CORRUPT',
      segment: at.segment,
      offset: at.offset,
      frameBytes: WAL_FRAME_BYTES_MAX + 1,
    });
  });
});

describe('a frame of exactly WAL_FRAME_BYTES_MAX', () => {
  it('is read (what a writer at the largest payloadBytesMax writes)', () => {
    const { dir } = oversize('max', WAL_FRAME_BYTES_MAX);
    const { reader } = openWalReadOnly({ dir });
    const sizes = [...reader.records()].map((r) => [r.seq, r.payload.length]);
    expect(sizes).toEqual([
      [1, 3],
      [2, RECORD_PAYLOAD_BYTES_MAX],
      [3, 5],
    ]);
  });
});

describe('other bad frames', () => {
  it('keep their reason and throw a plain WalCorruptError without onDamage', () => {
    const { dir, at } = oversize('short', FRAME_OVERHEAD_BYTES - 1);
    const ro = openWalReadOnly({ dir });
    const damage: ReadDamage[] = [];
    [...ro.reader.records({ onDamage: (d) => damage.push(d) })].forEach(() => undefined);
    expect(damage[0]).toEqual({ segment: at.segment, offset: at.offset, reason: 'length' });
    expect(ro.frameTooLarge(at.segment, at.offset)).toBeUndefined();
    expect(() => [...ro.reader.records()]).toThrow(
      expect.objectContaining({
        code: 'WAL_CORRUPT',
        message: `${at.segment}: bad frame at offset ${at.offset} (length)`,
      }),
    );
  });
});
