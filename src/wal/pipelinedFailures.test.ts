/**
 * Failures with two group commits in flight (the second written while the first syncs): the second rolling over
 * (its seal syncs the first's frames) and the first's sync then failing; and each fault (the first's sync,
 * the second's write, a strict append's sync or write) with close() at once or after. Every promise settles,
 * no file is closed with I/O in flight, every acknowledged record survives a power loss under its number,
 * no record appears twice, and appends after the failure are acknowledged.
 */
import { describe, expect, it } from 'vitest';
import type { FileHandle } from './fs/FileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { afterPowerLoss, pad, text, TINY_WAL } from './testutil/tinyWal.ts';
import { wrapHandles } from './testutil/wrapFs.ts';
import { Wal } from './Wal.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The group commits in flight (a private field: read only to prove the interleaving was reached). */
const commitsInFlight = (wal: Wal): number => (wal as unknown as { inFlight: unknown[] }).inFlight.length;

describe('the second commit rolls over while the first syncs', () => {
  it('a failed sync of the first commit: no number reused, no corruption, every acknowledged record under its number', async () => {
    const disk = new SimDisk(3);
    const ctl = { failNextAsyncSync: false, asyncSyncs: 0 };
    // The group commit's async sync of a segment: when armed, it completes (data durable) but reports EIO.
    const fs = wrapHandles(disk, (h): FileHandle => {
      if (!h.path.endsWith('.wal') && !h.path.includes('prealloc')) return h;
      return {
        ...h,
        datasync: async () => {
          ctl.asyncSyncs++;
          await h.datasync();
          if (ctl.failNextAsyncSync) {
            ctl.failNextAsyncSync = false;
            throw Object.assign(new Error('EIO: fdatasync'), { code: 'EIO' });
          }
        },
      };
    });
    const wal = Wal.open({ ...TINY_WAL, fs });
    expect(await wal.append(pad('w', 1))).toBe(1);
    disk.setSyncDelayMs(20);
    // A: seqs 2..15 in segment 1 (15 of its 17 frames).
    const a = wal.appendBatch(Array.from({ length: 14 }, (_, i) => pad('a', i + 2)));
    const aOut = a.then(
      (s) => `acked ${s}`,
      (e: { code: string }) => e.code,
    );
    ctl.failNextAsyncSync = true;
    const before = ctl.asyncSyncs;
    for (let i = 0; i < 20 && ctl.asyncSyncs === before; i++) await tick();
    expect(ctl.asyncSyncs).toBe(before + 1); // A's sync is running
    // B: seqs 16..20, 16 and 17 fill segment 1 (sealed: synced), 18..20 go to segment 2.
    const b = wal.appendBatch(Array.from({ length: 5 }, (_, i) => pad('b', i + 16)));
    await tick(); // B taken and written (rolling over) while A syncs
    expect(commitsInFlight(wal)).toBe(2);
    const bOut = b.then(
      (s) => `acked ${s}`,
      (e: { code: string }) => e.code,
    );
    const [ra, rb] = await Promise.all([aOut, bOut]);
    expect(ra).toBe('WAL_SYNC_FAILED');
    // Records acknowledged after the failure.
    disk.setSyncDelayMs(0);
    const acked = new Map<number, string>();
    if (rb.startsWith('acked')) for (let i = 16; i <= 20; i++) acked.set(i, `b-${i}`);
    for (let i = 0; i < 5; i++) acked.set(await wal.append(pad('c', i)), `c-${i}`);
    await wal.close();
    const again = Wal.open({ ...TINY_WAL, fs: disk });
    const recs = new Map([...again.read()].map((r) => [r.seq, text(r.payload)]));
    const corruptions = again.recovery.corruptions;
    await again.close();
    // Every acknowledged record reads back as itself, under its number; no corruption.
    for (const [seq, id] of acked) expect(recs.get(seq), `seq ${seq} (B: ${rb})`).toBe(id);
    expect(corruptions).toEqual([]);
  });
});

const settle = (p: Promise<number>): Promise<string> =>
  p.then(
    (s) => `ok ${s}`,
    (e: { code: string }) => `err ${e.code}`,
  );
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'TIMEOUT'> =>
  Promise.race([p, new Promise<'TIMEOUT'>((r) => setTimeout(() => r('TIMEOUT'), ms))]);

type Fault = 'none' | 'syncA' | 'writeB' | 'strictSync' | 'strictWrite';

async function scenario(fault: Fault, closeEarly: boolean, seed: number) {
  const disk = new SimDisk(seed);
  const wal = Wal.open({ ...TINY_WAL, fs: disk });
  expect(await wal.append(pad('w', 1))).toBe(1);
  disk.setSyncDelayMs(15);
  if (fault === 'syncA') disk.failNextSync('EIO');
  const a = settle(wal.appendBatch([pad('a', 2), pad('a', 3)]));
  await tick(); // A written (thread pool), its sync running
  await tick();
  if (fault === 'writeB') disk.failNextWrite('ENOSPC');
  const b = settle(wal.appendBatch([pad('b', 4), pad('b', 5)]));
  await Promise.resolve(); // B taken and written (a small write: on this thread) while A syncs
  if (fault !== 'writeB') expect(commitsInFlight(wal)).toBe(2);
  const flushed = wal.flush().then(
    () => 'flushed',
    (e: { code: string }) => `flush err ${e.code}`,
  );
  let strict = 'none';
  if (fault === 'strictSync' || fault === 'strictWrite') {
    await tick();
    if (fault === 'strictSync') disk.failNextSync('EIO');
    else disk.failNextWrite('EIO');
    try {
      strict = `ok ${wal.appendSync(pad('s', 6))}`;
    } catch (e) {
      strict = `err ${(e as { code: string }).code}`;
    }
  }
  const closed = closeEarly ? within(wal.close(), 2000) : undefined;
  const outcomes = await within(Promise.all([a, b, flushed]), 2000);
  expect(outcomes).not.toBe('TIMEOUT');
  if (!closeEarly) {
    // Commits after the failures are acknowledged and numbered after every durable one.
    disk.setSyncDelayMs(0);
    const c = await settle(wal.append(pad('c', 99)));
    expect(c).toMatch(/^ok /);
  }
  expect(await (closed ?? within(wal.close(), 2000))).not.toBe('TIMEOUT');
  expect(disk.stats.closesWithIoInFlight).toBe(0);
  const [ra, rb] = outcomes as string[];
  const acked = new Set<string>();
  if (ra?.startsWith('ok')) acked.add('a-2').add('a-3');
  if (rb?.startsWith('ok')) acked.add('b-4').add('b-5');
  if (strict.startsWith('ok')) acked.add('s-6');
  const again = await afterPowerLoss(disk);
  expect(again.corruptions).toEqual([]);
  for (const id of acked) expect(again.records, `${fault}: ${id} (${outcomes}, ${strict})`).toContain(id);
  // No number reused: each record once.
  expect(new Set(again.records).size).toBe(again.records.length);
  return { outcomes, strict };
}

describe('close and failures with two commits in flight', () => {
  for (const fault of ['none', 'syncA', 'writeB', 'strictSync', 'strictWrite'] as const)
    for (const closeEarly of [false, true])
      it(`${fault}, close ${closeEarly ? 'at once' : 'after'}: settles, no close under I/O, acknowledged records survive`, async () => {
        for (let seed = 1; seed <= 5; seed++) await scenario(fault, closeEarly, seed);
      });
});
