/**
 * A CRC-valid frame of a sealed segment renumbered out of sequence (a bug or tampering, not bit rot):
 * - past the next segment's first number: WalReader 'report' mode (replay/prove/reidentify) used to stop
 *   the segment's read there (`m.seq > upper`), and a 'full' walk (verify's second pass, a writer's open
 *   with verifyOnOpen 'full') took it for a leftover of a failed batch: the 9 intact frames after it were
 *   reported as missing-segment, and a WRITER's open sealed the segment at that frame, overwriting them
 *   with no quarantine copy. A sealed segment never holds leftovers (recovery seals before them): frames
 *   numbering on below the limit after it make it damage (SegmentWalk), the segment is quarantined, not
 *   sealed again.
 * - forward inside the segment (15 -> 20): the reader set its last-returned number to 20 and dropped the
 *   intact 16..19 after it. It now reads on past such a frame when the frames after it number on from
 *   where it belongs, without returning it or moving its numbers past it.
 */
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealFrame } from './format.ts';
import { openWalReadOnly } from './readOnly.ts';
import { Wal } from './Wal.ts';
import { frameLocations } from './testutil/frames.ts';
import { sealedWal, SEALED_WAL_RECORDS } from './testutil/sealedWalCopies.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import type { ReadDamage } from './WalReader.ts';

const tmp = makeTempDir('otel-audit-renumbered-frame-');
afterAll(() => tmp.cleanup());

let segments: readonly string[] = [];
let copy: () => string;

beforeAll(async () => {
  ({ segments, copy } = await sealedWal(tmp.dir));
});

/** Renumbers the `index`-th frame of `file` to `seq` (CRC recomputed); returns its old number. */
function renumber(file: string, index: number, seq: number): number {
  const b = fs.readFileSync(file);
  const f = frameLocations(b)[index];
  if (f === undefined) throw new Error('no such frame');
  const bytes = b.subarray(f.offset, f.offset + f.frameBytes);
  sealFrame(bytes, seq, bytes[5] ?? 0);
  fs.writeFileSync(file, b);
  return f.seq;
}

describe('a frame of a sealed segment renumbered out of sequence (CRC valid)', () => {
  it("replay's whole read returns the intact frames after one renumbered past the segment", () => {
    const dir = copy();
    const old = renumber(path.join(dir, segments[1] as string), 2, 10_000);
    const damage: ReadDamage[] = [];
    const ro = openWalReadOnly({ dir });
    const seqs = [...ro.reader.records({ onDamage: (d) => damage.push(d) })].map((r) => r.seq);
    expect(damage.length).toBeGreaterThan(0);
    const all = Array.from({ length: SEALED_WAL_RECORDS }, (_, k) => k + 1);
    // Only the renumbered frame is not its own number any more; the segment's other 9 after it are intact.
    expect(seqs).toEqual(all.filter((s) => s !== old));
  });

  it("a 'full' open (verify's second pass) does not call the 9 intact records after it lost", () => {
    const dir = copy();
    const old = renumber(path.join(dir, segments[1] as string), 2, 10_000);
    const ro = openWalReadOnly({ dir, verify: 'full' });
    const c = ro.report.corruptions.map((x) => ({ kind: x.kind, seqFrom: x.seqFrom, seqTo: x.seqTo }));
    expect(c.length).toBeGreaterThan(0);
    // The frames old+1..24 are intact in segments[1]: no corruption should claim them.
    for (const x of c) expect(x.seqTo === undefined || x.seqTo <= old).toBe(true);
  });

  it('renumbered forward inside the segment (15 -> 20): the intact 16..20 after it are returned, reported once', () => {
    const dir = copy();
    const old = renumber(path.join(dir, segments[1] as string), 2, 20);
    expect(old).toBe(15);
    const damage: ReadDamage[] = [];
    const ro = openWalReadOnly({ dir });
    const seqs = [...ro.reader.records({ onDamage: (d) => damage.push(d) })].map((r) => r.seq);
    expect(damage.length).toBeGreaterThan(0);
    // 16..19 and the true 20 are intact frames with their own numbers.
    expect(seqs).toEqual(Array.from({ length: SEALED_WAL_RECORDS }, (_, k) => k + 1).filter((s) => s !== 15));
    expect(damage).toHaveLength(1);
  });

  it("a writer's open with verifyOnOpen 'full' quarantines the segment and overwrites none of its intact frames", async () => {
    const dir = copy();
    const file = path.join(dir, segments[1] as string);
    const old = renumber(file, 2, 10_000);
    const before = fs.readFileSync(file);
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off', verifyOnOpen: 'full' });
    const report = wal.recovery;
    await wal.close();
    expect(report.sealedOnOpen).not.toContain(segments[1]);
    expect(
      report.corruptions.map((c) => [c.segment, c.kind, c.seqFrom, c.seqTo, c.quarantinedAs !== undefined]),
    ).toEqual([[segments[1], 'bad-frame', old, old, true]]);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    const ro = openWalReadOnly({ dir, verify: 'full' });
    const seqs = [...ro.reader.records({ onDamage: () => undefined })].map((r) => r.seq);
    expect(
      seqs.filter((s) => s <= SEALED_WAL_RECORDS),
      JSON.stringify([seqs, ro.report]),
    ).toEqual(Array.from({ length: SEALED_WAL_RECORDS }, (_, k) => k + 1).filter((s) => s !== old));
  });
});
