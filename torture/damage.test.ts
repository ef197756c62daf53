/**
 * damageSegment says whether it changed anything: zeroing a sector that was
 * already zeros, or truncating an empty file, injects no fault and must not
 * be counted as one (an iteration whose only "damage" changed nothing
 * proved nothing: noFault, not passed).
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from '../src/wal/fs/SimDisk.ts';
import { damageSegment, describeDamage, faultsOf } from './damage.ts';
import type { SegmentLayout } from './frameMap.ts';
import { Prng } from './prng.ts';

function segmentOf(disk: SimDisk, p: string, bytes: Uint8Array): SegmentLayout {
  disk.mkdirp('/d');
  const h = disk.open(p, 'create');
  if (bytes.length > 0) h.write(bytes, 0);
  h.datasyncSync();
  h.close();
  return { name: p.slice(3), path: p, firstSeq: 1, size: bytes.length, frames: [], footer: undefined, bytes };
}

describe('damageSegment', () => {
  it('a zeroed sector that was already zeros changed nothing, and is no fault', () => {
    const disk = new SimDisk(1);
    const seg = segmentOf(disk, '/d/zeros.wal', new Uint8Array(4096));
    const op = damageSegment(disk, seg, new Prng(3), ['zero-sector']);
    expect(op.kind).toBe('zero-sector');
    expect(op.changed).toBe(false);
    expect(describeDamage(op)).toMatch(/\(changed nothing\)$/);
    expect(faultsOf([op])).toBe(0);
  });

  it('truncating an empty file changed nothing', () => {
    const disk = new SimDisk(1);
    const seg = segmentOf(disk, '/d/empty.wal', new Uint8Array(0));
    const op = damageSegment(disk, seg, new Prng(3), ['flip']);
    expect(op).toMatchObject({ kind: 'truncate', changed: false });
  });

  it('a flip, a zeroed sector of data and a truncation of data change bytes, and are faults', () => {
    const disk = new SimDisk(1);
    const ops = (['flip', 'zero-sector', 'truncate'] as const).map((kind, i) => {
      const seg = segmentOf(disk, `/d/data${i}.wal`, new Uint8Array(4096).fill(0xa5));
      return damageSegment(disk, seg, new Prng(7 + i), [kind]);
    });
    expect(ops.map((o) => [o.kind, o.changed])).toEqual([
      ['flip', true],
      ['zero-sector', true],
      ['truncate', true],
    ]);
    expect(faultsOf(ops)).toBe(3);
  });
});
