/**
 * Two group commits in flight (`commitsInFlightMax`, default 2): the next commit is written while the previous
 * one's sync runs, its own sync issued when that one returns, acknowledgements in order; with 1, a commit is
 * written only once the previous one is acknowledged. The failure cases (an earlier commit's failed sync fails
 * the later one, first) are in regression.test.ts "after WAL_FAILED" and in the crash properties
 * (model.test.ts, strictInterleave.crash.test.ts), which run with the default.
 */
import { describe, expect, it } from 'vitest';
import type { FileHandle, FileSystem } from './fs/FileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { pad, TINY_WAL } from './testutil/tinyWal.ts';
import { wrapHandles } from './testutil/wrapFs.ts';
import { Wal, type DeferredRecord } from './Wal.ts';

/** Passes everything to `inner`, logging writes and syncs of segment files to `log`. */
function loggingFs(inner: FileSystem, log: string[]): FileSystem {
  return wrapHandles(inner, (h) => {
    if (!h.path.endsWith('.wal') && !h.path.includes('prealloc')) return h;
    const logged = async (begin: string, run: () => Promise<void>, end?: string): Promise<void> => {
      log.push(begin);
      await run();
      if (end) log.push(end);
    };
    return {
      ...h,
      write: (data, position) => {
        log.push('write');
        h.write(data, position);
      },
      ...(h.writeAsync
        ? {
            writeAsync: (data: Uint8Array, position: number) =>
              logged('write', () => (h.writeAsync as NonNullable<FileHandle['writeAsync']>)(data, position)),
          }
        : {}),
      datasync: () => logged('sync', () => h.datasync(), 'synced'),
      fsync: () => logged('sync', () => h.fsync(), 'synced'),
    };
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Appends A, then B once A's write and sync have started; the log of segment I/O and acknowledgements. */
async function twoCommits(commitsInFlightMax: number): Promise<string[]> {
  const disk = new SimDisk(7);
  const log: string[] = [];
  const wal = Wal.open({ ...TINY_WAL, fs: loggingFs(disk, log), commitsInFlightMax });
  expect(await wal.append(pad('warm-up', 1))).toBe(1); // creates the segment
  disk.setSyncDelayMs(30);
  log.length = 0;
  const a = wal.append(pad('a', 2)).then((seq) => log.push(`ack A ${seq}`));
  // A's write (on the simulated thread pool), then its sync starts.
  for (let i = 0; i < 10 && !log.includes('sync'); i++) await tick();
  expect(log).toEqual(['write', 'sync']);
  const b = wal.append(pad('b', 3)).then((seq) => log.push(`ack B ${seq}`));
  await Promise.all([a, b]);
  await wal.close();
  return log.slice(0, log.indexOf('ack B 3') + 1);
}

describe('two group commits in flight', () => {
  it('writes the next commit while the previous one syncs; syncs and acknowledgements stay in order', async () => {
    expect(await twoCommits(2)).toEqual([
      'write',
      'sync',
      'write', // B, while A syncs
      'synced',
      'sync', // B's sync, issued once A's returned (A is acknowledged then; its promise settles next)
      'ack A 2',
      'synced',
      'ack B 3',
    ]);
  });

  it('with commitsInFlightMax 1, writes a commit only once the previous one is acknowledged', async () => {
    expect(await twoCommits(1)).toEqual([
      'write',
      'sync',
      'synced',
      'write', // B, once A is acknowledged (its promise settles next)
      'ack A 2',
      'sync',
      'synced',
      'ack B 3',
    ]);
  });

  it('tells the sequencer, as each commit is durable, the state before the next one still in flight', async () => {
    const disk = new SimDisk(8);
    const wal = Wal.open({ ...TINY_WAL, fs: disk });
    let snapshots = 0;
    const durable: unknown[] = [];
    wal.setSequencer({
      snapshot: () => ++snapshots,
      restore: () => undefined,
      durable: (pending) => durable.push(pending),
    });
    const deferred = (tag: string): DeferredRecord => ({
      estimatedBytes: 64,
      build: () => ({ payload: pad(tag, 1), timeUnixNano: 1n }),
    });
    expect(await wal.appendDeferred([deferred('warm-up')])).toBe(1); // snapshot 1, nothing else in flight
    expect(durable).toEqual([undefined]);
    disk.setSyncDelayMs(30);
    const a = wal.appendDeferred([deferred('a')]); // snapshot 2
    await tick();
    const b = wal.appendDeferred([deferred('b')]); // snapshot 3, built while A syncs
    expect(await Promise.all([a, b])).toEqual([2, 3]);
    // A durable while B (built from snapshot 3) is in flight; then B with nothing after it.
    expect(durable).toEqual([undefined, 3, undefined]);
    await wal.close();
  });
});
