/**
 * Found by review R1 in 8c36b55's Wal.failInFlightEarly (fixed in 1652c12/b75b3ab): a strict append that fails in the segment of the group
 * commit in flight (its write fails: the segment is abandoned) now fails that commit early
 * (`writer.wasAbandoned(f.file)`), to keep a later durable commit in a new segment from following a hole.
 * But the commit may ALREADY be durable: an earlier strict append of the same window wrote after it (and,
 * when its write is on the thread pool, rewrote its bytes) and synced the segment. Then:
 * - the commit is rejected although its records are durable and already read as durable (durableSeq is past
 *   them), and its numbers cannot be given back (the earlier strict append holds later ones): the producer's
 *   retry stores them twice;
 * - with a sequencer (the hash chain: audit_wal), failBatch breaks the WAL ("a failed batch was followed by
 *   a strict append; reopen the WAL to recover", WAL_FAILED) — although nothing is inconsistent.
 * Before 8c36b55 the synchronous-write case (a group commit whose sync is in flight) acknowledged the
 * commit: only a failed sync of its file failed it early. The hole the new branch closes exists only while
 * the commit is not yet durable; once `durableSeq` covers it, failing it early is not needed.
 *
 * Not here: strict append 6's SYNC failing. The commit is then still rejected (its file's syncs are not
 * trusted; the torture oracle counts an acknowledgement after a failed sync as one after a power loss):
 * guarantees.md §3 lists the duplicates this leaves.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { afterPowerLoss, pad, text, TINY_WAL } from './testutil/tinyWal.ts';
import { Wal } from './Wal.ts';

const O = TINY_WAL;

function readAll(wal: Wal): string[] {
  return [...wal.read()].map((r) => text(r.payload));
}

/**
 * A group commit (seqs 2..4) in flight — its write on the thread pool, or (`syncWrite`) written on the
 * calling thread with its sync in flight — then strict append 5 (succeeds: the commit is now durable),
 * then strict append 6 whose write (or sync) fails.
 */
async function scenario(
  wal: Wal,
  disk: SimDisk,
  syncWrite: boolean,
  failure: 'write',
): Promise<{ outcome: () => string }> {
  if (syncWrite) Object.defineProperty(disk, 'writeAsyncBytesMin', { value: 1 << 30 });
  expect(await wal.append(pad('first', 1))).toBe(1);
  disk.setSyncDelayMs(50); // keeps the group commit's own sync in flight
  const pending = wal.appendBatch([2, 3, 4].map((i) => pad('group', i)));
  let outcome = 'pending';
  pending.then(
    (seq) => (outcome = `acknowledged ${seq}`),
    (e: { code: string }) => (outcome = `rejected ${e.code}`),
  );
  await Promise.resolve(); // the group commit is written (or on the thread pool)
  expect(wal.appendSync(pad('strict', 5))).toBe(5);
  // The group commit's records are durable now: synced by the strict append, and given to readers.
  expect(wal.durableSeq).toBe(5);
  expect(readAll(wal)).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5']);
  if (failure === 'write') disk.failNextWrite('EIO');
  expect(() => wal.appendSync(pad('strict', 6))).toThrow(expect.objectContaining({ code: 'WAL_IO' }));
  return { outcome: () => outcome };
}

describe('a strict append fails in the segment of a group commit that an earlier strict append made durable', () => {
  // The branch 8c36b55 added: strict append 6's write fails, its segment is abandoned.
  for (const [syncWrite, failure] of [
    [false, 'write'],
    [true, 'write'],
  ] as const) {
    const where = `${syncWrite ? 'written on the calling thread, sync in flight' : 'write on the thread pool'}; strict append 6's ${failure} fails`;
    it(`the durable commit is acknowledged, not rejected (${where})`, async () => {
      const disk = new SimDisk(21);
      const wal = Wal.open({ ...O, fs: disk });
      const { outcome } = await scenario(wal, disk, syncWrite, failure);
      await wal.flush().catch(() => undefined);
      expect(readAll(wal)).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5']);
      await wal.close();
      const { corruptions, records } = await afterPowerLoss(disk);
      expect(corruptions).toEqual([]);
      expect(records).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5']);
      // Its records are in the log for good: rejecting them has the producer store them twice.
      expect(outcome()).toBe('acknowledged 2');
    });

    it(`with a sequencer, the WAL is not broken (${where})`, async () => {
      const disk = new SimDisk(22);
      const wal = Wal.open({ ...O, fs: disk });
      wal.setSequencer({ snapshot: () => 0, restore: () => undefined });
      const { outcome } = await scenario(wal, disk, syncWrite, failure);
      await wal.flush().catch(() => undefined);
      expect(wal.failure).toBeUndefined();
      expect(outcome()).toBe('acknowledged 2');
      expect(await wal.append(pad('next', 6))).toBe(6);
      await wal.close();
    });
  }
});
