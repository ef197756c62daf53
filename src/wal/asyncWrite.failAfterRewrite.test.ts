/**
 * Found by review R1 in 8c36b55 (fixed in ba3fddf): a group commit's write on the thread pool (writeFramesAsync) that FAILS after a
 * strict append has already written the same bytes again (SegmentWriter.rewriteInFlight) and synced them
 * (through the segment's own sync descriptor). The commit's records are then durable — the strict append's
 * fdatasync covered them, readers are already given them (durableSeq is past them), and they survive a power
 * loss — yet the commit is rejected (Wal.awaitWrite -> failWrite) with the thread-pool write's error:
 * - its numbers cannot be given back (the strict append took the next ones), so the rejected records stay
 *   in the log under their numbers and the producer's retry stores them twice;
 * - with a sequencer (the hash chain: audit_wal), failBatch takes this for "a failed batch followed by a
 *   strict append" and breaks the WAL (WAL_FAILED until reopened), although nothing is inconsistent.
 * Once its bytes were rewritten and synced on the calling thread, the thread-pool write's outcome says
 * nothing about them (identical bytes at the same offsets; a write error is not a write-back error): the
 * commit should go on to its own sync (which reports any write-back error) and be acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { afterPowerLoss, pad, text, TINY_WAL } from './testutil/tinyWal.ts';
import { Wal } from './Wal.ts';

const O = TINY_WAL;
/** Lets the group commit started by the appends just made run up to its write on the thread pool. */
const commitStarted = (): Promise<void> => Promise.resolve();

function readAll(wal: Wal): string[] {
  return [...wal.read()].map((r) => text(r.payload));
}

/** Starts a group commit whose thread-pool write will fail (EIO), then makes a strict append while it is in flight. */
async function scenario(wal: Wal, disk: SimDisk): Promise<{ outcome: () => string; strictSeq: number }> {
  expect(await wal.append(pad('first', 1))).toBe(1);
  disk.failNextWrite('EIO'); // taken by the group commit's writeAsync when it is called (fails when it completes)
  const pending = wal.appendBatch([2, 3, 4].map((i) => pad('group', i)));
  let outcome = 'pending';
  pending.then(
    (seq) => (outcome = `acknowledged ${seq}`),
    (e: { code: string }) => (outcome = `rejected ${e.code}`),
  );
  await commitStarted();
  // The strict append writes the in-flight bytes again (the fault is spent), then its own frame, then syncs.
  const strictSeq = wal.appendSync(pad('strict', 5));
  return { outcome: () => outcome, strictSeq };
}

describe('the thread-pool write fails after a strict append rewrote and synced its bytes', () => {
  it('the commit whose records are durable (and already read as durable) is not rejected', async () => {
    const disk = new SimDisk(11);
    const wal = Wal.open({ ...O, fs: disk });
    const { outcome, strictSeq } = await scenario(wal, disk);
    expect(strictSeq).toBe(5);
    // Readers already see the group commit's records as durable...
    expect(wal.durableSeq).toBe(5);
    expect(readAll(wal)).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5']);
    await wal.flush().catch(() => undefined);
    // ...and they are durable: a power loss keeps them.
    await wal.close();
    const { corruptions, records } = await afterPowerLoss(disk);
    expect(corruptions).toEqual([]);
    expect(records).toEqual(['first-1', 'group-2', 'group-3', 'group-4', 'strict-5']);
    // So their producer must not be told they failed (it would store them again). Failed before ba3fddf's fix: 'rejected WAL_IO'.
    expect(outcome()).toBe('acknowledged 2');
  });

  it('with a sequencer (the hash chain), the WAL is not broken by it', async () => {
    const disk = new SimDisk(12);
    const wal = Wal.open({ ...O, fs: disk });
    wal.setSequencer({ snapshot: () => 0, restore: () => undefined });
    const { outcome } = await scenario(wal, disk);
    await wal.flush().catch(() => undefined);
    // Failed before the fix: WAL_FAILED 'a failed batch was followed by a strict append; reopen the WAL to recover'.
    expect(wal.failure).toBeUndefined();
    expect(outcome()).toBe('acknowledged 2');
    expect(await wal.append(pad('next', 6))).toBe(6);
    await wal.close();
  });
});
