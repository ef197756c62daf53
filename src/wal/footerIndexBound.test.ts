/**
 * A sealed segment's footer may claim up to ~4.19M index entries (a 128 MiB FOOTER frame, the largest
 * frame a read-only reader reads) whatever its data holds. Decoded into objects (two BigInts each) and
 * kept by the open (SegmentInfo.index) for every segment, one such file of ONE record cost ~576 MiB of
 * retained heap (review R2's measurement; 3 files 1.73 GiB). The open now checks the index's shape on the
 * raw bytes before decoding (footerProblem.ts footerIndexProblem: entries increasing, at least a frame
 * apart, below the data end, no more than the records): such a footer is not trusted, the segment is
 * walked (its index rebuilt from its frames) and reported as bad-footer.
 * A small footer here (10,000 entries over a segment of one record); asserts the bound on what is kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildFrame,
  encodeSegmentHeader,
  encodeTrailer,
  FOOTER_FIXED_BYTES,
  FRAME_OVERHEAD_BYTES,
  FrameType,
  INDEX_ENTRY_BYTES,
  SEGMENT_HEADER_BYTES,
  sealFrame,
  segmentFileName,
} from './format.ts';
import { openWalReadOnly } from './readOnly.ts';
import { makeTempDir } from './testutil/tmpdir.ts';

const tmp = makeTempDir('otel-audit-footer-index-bound-');
afterAll(() => tmp.cleanup());

/** A segment (first seq `s`) of one record whose otherwise truthful footer carries `k` index entries. */
function writeSegment(dir: string, s: number, k: number): void {
  const header = encodeSegmentHeader({
    formatVersion: 1,
    segmentNumber: s,
    firstSeq: s,
    createdUnixNano: 0n,
    segmentBytesMax: 4096,
    prevChainHash: new Uint8Array(32),
  });
  const rec = buildFrame(FrameType.RECORD, 5n, Buffer.from('x'));
  sealFrame(rec, s, 1);
  const dataEnd = SEGMENT_HEADER_BYTES + rec.length;
  const p = Buffer.alloc(FOOTER_FIXED_BYTES + k * INDEX_ENTRY_BYTES);
  p.writeUInt32LE(1, 0);
  p.writeUInt32LE(s, 8);
  p.writeUInt32LE(s, 16);
  p.writeBigInt64LE(5n, 24);
  p.writeBigInt64LE(5n, 32);
  p.writeUInt32LE(dataEnd, 40);
  p.writeUInt32LE(k, 52);
  for (let i = 0, o = FOOTER_FIXED_BYTES; i < k; i++, o += INDEX_ENTRY_BYTES) {
    p.writeUInt32LE(s, o);
    p.writeUInt32LE(SEGMENT_HEADER_BYTES, o + 8);
    p.writeBigInt64LE(5n, o + 16);
    p.writeBigInt64LE(5n, o + 24);
  }
  const footer = buildFrame(FrameType.FOOTER, 5n, p);
  sealFrame(footer, s, 0);
  fs.writeFileSync(
    path.join(dir, segmentFileName(s)),
    Buffer.concat([header, rec, footer, encodeTrailer(dataEnd)]),
  );
}

describe('a footer claiming far more index entries than its data can hold', () => {
  it('is not kept by a read-only open, and is reported as bad-footer', () => {
    const dir = path.join(tmp.dir, 'wal');
    fs.mkdirSync(dir);
    for (let s = 1; s <= 3; s++) writeSegment(dir, s, 10_000);
    const ro = openWalReadOnly({ dir });
    const damage: string[] = [];
    const seqs = [...ro.reader.records({ onDamage: (d) => damage.push(d.reason) })].map((r) => r.seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect(ro.report.corruptions.map((c) => [c.kind, c.detail])).toEqual(
      [1, 2, 3].map(() => ['bad-footer', "the footer's index has 10000 entries for 1 records"]),
    );
    for (const seg of ro.segments) {
      const framesAtMost = Math.floor((seg.dataEnd - SEGMENT_HEADER_BYTES) / FRAME_OVERHEAD_BYTES);
      expect(seg.index.length).toBeLessThanOrEqual(Math.max(framesAtMost, 1));
    }
  });
});
