/**
 * The boundary segment recovery leaves as the newest (an accepted loss below the high-water mark; an empty
 * segment kept in front of a damaged one) is replaced by the writer's first segment, of the same name. When
 * that segment's first commit fails and the segment is removed, the boundary must be back: else the short
 * segment is the newest again and the next open refuses a loss the operator already accepted.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { segmentFileName } from './format.ts';
import { createBoundarySegment } from './boundarySegment.ts';
import { frameLocations } from './testutil/frames.ts';
import { readHighWaterMark } from './HighWaterMark.ts';
import type { WalOptions } from './options.ts';
import { payloadFor } from './testutil/frames.ts';
import { SMALL_WAL } from './testutil/smallWal.ts';
import { Wal } from './Wal.ts';

const DIR = '/wal';
const SMALL: Omit<WalOptions, 'dir' | 'fs'> = {
  ...SMALL_WAL,
  highWaterMarkIntervalMs: 0,
  failureBackoffMs: 0,
  onWarning: () => undefined,
};
const open = (disk: SimDisk, opts: Partial<WalOptions> = {}): Wal =>
  Wal.open({ dir: DIR, fs: disk, ...SMALL, ...opts });
const segmentsOf = (disk: SimDisk): string[] =>
  disk
    .listFiles()
    .filter((p) => /\/\d{20}\.wal$/.test(p))
    .sort();

/** A WAL whose newest segment (after a rollover) was lost, opened once accepting the loss: returns the mark. */
async function acceptedLoss(disk: SimDisk): Promise<{ wal: Wal; markSeq: number }> {
  const wal = open(disk);
  let seq = 1;
  while (segmentsOf(disk).length < 2) expect(await wal.append(payloadFor('r', seq))).toBe(seq++);
  for (let i = 0; i < 3; i++) expect(await wal.append(payloadFor('r', seq))).toBe(seq++);
  await wal.close();
  const markSeq = seq - 1;
  expect(readHighWaterMark(disk, DIR)?.lastSeq).toBe(markSeq);
  disk.removeFileDurably(segmentsOf(disk)[1] as string);
  const accepted = open(disk, { acceptLostRecordsThroughSeq: markSeq });
  expect(accepted.recovery.belowHighWaterMark?.toSeq).toBe(markSeq);
  expect(segmentsOf(disk).at(-1)).toBe(`${DIR}/${segmentFileName(markSeq + 1)}`); // the boundary
  return { wal: accepted, markSeq };
}

/** Later opens go on without the option: the loss is reported, not refused. */
function opensWithoutRefusal(disk: SimDisk, markSeq: number): Wal {
  const later = open(disk);
  expect(later.recovery.belowHighWaterMark).toBeUndefined();
  expect(later.recovery.corruptions).toEqual([
    expect.objectContaining({ kind: 'missing-segment', seqTo: markSeq }),
  ]);
  return later;
}

/**
 * Fault filter for the commit's sync in a new segment: the second sync of a segment file (its handles keep
 * the `.prealloc` name they were opened with), the first being the header's at creation.
 */
function commitSyncOfNewSegment(): (p: string) => boolean {
  let calls = 0;
  return (p) => p.endsWith('.prealloc') && ++calls === 2;
}

describe('WAL boundary segment after an accepted loss', () => {
  it('the first commit after it fails at its sync, then a power loss: the next open is not refused', async () => {
    const disk = new SimDisk(903);
    const { wal, markSeq } = await acceptedLoss(disk);
    disk.failNextSync('EIO', 1, commitSyncOfNewSegment());
    await expect(wal.append(payloadFor('r', markSeq + 1))).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(segmentsOf(disk).at(-1)).toBe(`${DIR}/${segmentFileName(markSeq + 1)}`);
    const after = disk.crash({ mode: 'lose' });
    const later = opensWithoutRefusal(after, markSeq); // refused before the fix: 'records … are missing'
    expect(await later.append(payloadFor('r', markSeq + 1))).toBe(markSeq + 1);
    await later.close();
    const last = opensWithoutRefusal(after, markSeq);
    expect([...last.read({ onDamage: () => undefined })].map((r) => r.seq).at(-1)).toBe(markSeq + 1);
    await last.close();
  });

  it('the first commit after it fails, then a clean close: the next open is not refused', async () => {
    const disk = new SimDisk(904);
    const { wal, markSeq } = await acceptedLoss(disk);
    disk.failNextSync('EIO', 1, commitSyncOfNewSegment());
    await expect(wal.append(payloadFor('r', markSeq + 1))).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    // The next commit goes through: it replaces the restored boundary.
    expect(await wal.append(payloadFor('r', markSeq + 1))).toBe(markSeq + 1);
    await wal.close();
    const later = opensWithoutRefusal(disk, markSeq);
    expect([...later.read({ onDamage: () => undefined })].map((r) => r.seq).at(-1)).toBe(markSeq + 1);
    await later.close();
    // Failed and nothing after: closed with only the failure.
    const disk2 = new SimDisk(905);
    const second = await acceptedLoss(disk2);
    disk2.failNextSync('EIO', 1, commitSyncOfNewSegment());
    await expect(second.wal.append(payloadFor('r', second.markSeq + 1))).rejects.toMatchObject({
      code: 'WAL_SYNC_FAILED',
    });
    await second.wal.close();
    const reopened = opensWithoutRefusal(disk2, second.markSeq);
    await reopened.close();
  });

  it('the segment replacing it fails at its directory sync (created, then removed): the boundary is back', async () => {
    const disk = new SimDisk(906);
    const { wal, markSeq } = await acceptedLoss(disk);
    disk.failNextSyncDir('EIO', 1, DIR);
    await expect(wal.append(payloadFor('r', markSeq + 1))).rejects.toThrow();
    expect(segmentsOf(disk).at(-1)).toBe(`${DIR}/${segmentFileName(markSeq + 1)}`);
    const after = disk.crash({ mode: 'lose' });
    const later = opensWithoutRefusal(after, markSeq);
    await later.close();
  });

  it('the segment replacing it fails before its rename (header sync): the boundary itself is not removed', async () => {
    const disk = new SimDisk(907);
    const { wal, markSeq } = await acceptedLoss(disk);
    disk.failNextSync('EIO', 1, (p) => p.endsWith('.prealloc'));
    await expect(wal.append(payloadFor('r', markSeq + 1))).rejects.toThrow();
    expect(wal.failure).toBeUndefined();
    expect(segmentsOf(disk).at(-1)).toBe(`${DIR}/${segmentFileName(markSeq + 1)}`);
    const after = disk.crash({ mode: 'lose' });
    const later = opensWithoutRefusal(after, markSeq);
    await later.close();
  });

  it('the boundary kept in front of a damaged segment (KD-6) survives a failed first commit too', async () => {
    const disk = new SimDisk(908);
    const wal = open(disk);
    for (let i = 1; i <= 20; i++) expect(await wal.append(payloadFor('r', i))).toBe(i);
    await wal.close();
    const seg = `${DIR}/${segmentFileName(1)}`;
    // Bit rot in the last record and in the footer: without its footer the segment is walked.
    const bytes = Buffer.from(disk.fileBytes(seg));
    const last = frameLocations(bytes).at(-1) as { offset: number };
    disk.flipBit(seg, last.offset + 26, 2);
    disk.flipBit(seg, Number(bytes.readBigUInt64LE(bytes.length - 16)) + 30, 5);
    // The empty segment after it (as a rollover whose first commit never completed leaves it, sealed at open).
    createBoundarySegment({
      fs: disk,
      dir: DIR,
      firstSeq: 21,
      segmentNumber: 2,
      segmentBytesMax: 0,
      createdUnixNano: 0n,
    });
    const reopened = open(disk);
    expect(reopened.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: 20 }),
    ]);
    disk.failNextSync('EIO', 1, commitSyncOfNewSegment());
    await expect(reopened.append(payloadFor('r', 21))).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(segmentsOf(disk).at(-1)).toBe(`${DIR}/${segmentFileName(21)}`);
    await reopened.close();
    // Still behind the boundary: reported again, not refused (the damaged segment is not the newest).
    const later = open(disk);
    expect(later.recovery.belowHighWaterMark).toBeUndefined();
    expect(later.recovery.corruptions).toEqual([expect.objectContaining({ kind: 'bad-frame', seqFrom: 20 })]);
    await later.close();
  });

  it('an open with acceptLostRecordsThroughSeq warns: the loss accepted, or the option set with nothing lost', async () => {
    const disk = new SimDisk(909);
    const { wal, markSeq } = await acceptedLoss(disk);
    await wal.close();
    const warnings: string[] = [];
    const again = open(disk, {
      acceptLostRecordsThroughSeq: markSeq + 1000,
      onWarning: (m) => warnings.push(m),
    });
    await again.close();
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `acceptLostRecordsThroughSeq ${markSeq + 1000} is set; nothing below the high-water mark is missing\\. Remove the option`,
        ),
      ),
    ]);
    const disk2 = new SimDisk(910);
    const w2 = open(disk2);
    for (let i = 1; i <= 5; i++) expect(await w2.append(payloadFor('r', i))).toBe(i);
    await w2.close();
    disk2.truncateFile(`${DIR}/${segmentFileName(1)}`, 96); // every record cut
    const warned: string[] = [];
    const accepted = open(disk2, { acceptLostRecordsThroughSeq: 5, onWarning: (m) => warned.push(m) });
    await accepted.close();
    expect(warned).toEqual([
      expect.stringMatching(
        /records 1\.\.5 below the high-water mark are missing: the loss was ACCEPTED \(acceptLostRecordsThroughSeq 5\)/,
      ),
    ]);
  });
});
