/**
 * Review R1 of the group commit written on the thread pool (SegmentWriter.writeFramesAsync): a model-based
 * crash test in which strict appends (`appendSync`) run WITHOUT settling first, i.e. while a group commit's
 * write is on the (simulated) thread pool or its sync is in flight — the interleaving model.test.ts did not
 * produce when this was written (its `strict` op settled first; it has a `strictNow` op since).
 * Faults: write failures (taken by whichever write comes next: the group commit's writeAsync, a strict
 * append's rewrite of the in-flight bytes, a seal's footer, a segment header), sync failures, a full disk,
 * slow syncs (a window for strict appends during the sync). Preallocation modes and sync policies vary.
 *
 * Deferred records (appendDeferred, appendDeferredSync: every other strict append) take a position from a
 * sequencer when built, as the hash chain does.
 *
 * Checked after every reopen (as model.test.ts): no corruption reported, every acknowledged record present
 * and byte-exact under its number, numbers 1..N without gap, each record whole, present once, in call order,
 * deferred records holding positions 0, 1, 2, ... in log order (no fork, no gap after a failed batch's
 * restore); after every strict append, that readers of the live writer see exactly durableSeq records,
 * intact; before every crash and at every close, that no file was closed with I/O in flight.
 *
 * Sensitivity (checked with the production code patched in a throw-away probe, not committed): without
 * SegmentWriter.rewriteInFlight it fails within ~40 runs (an acknowledged seq missing after a torn crash);
 * with BATCH_START always set on a strict append's first frame (continuesWrite ignored) within ~1,000 runs
 * (a torn crash reported as corruption); with Wal.failInFlightEarly a no-op at once (readers see fewer
 * records than durableSeq).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimDisk, type CrashMode } from './fs/SimDisk.ts';
import { idOfWholePayload, payloadFor, SHARED_OP, type SharedOp } from './testutil/crashModelOps.ts';
import { framesInBlock } from './testutil/frames.ts';
import { Wal, type DeferredRecord } from './Wal.ts';
import type { PreallocateMode } from './SegmentWriter.ts';

const DIR = '/data/wal';
const BASE = {
  segmentBytesMax: 8 * 1024,
  payloadBytesMax: 2048,
  indexIntervalBytes: 1024,
  failureBackoffMs: 0,
  queueRecordsMax: 64,
};

type Op =
  | SharedOp
  | { t: 'deferred'; n: number }
  | { t: 'strict' }
  | { t: 'microtask' }
  | { t: 'tick'; n: number }
  | { t: 'slowSync'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: SHARED_OP.append },
  { weight: 3, arbitrary: SHARED_OP.batch },
  { weight: 3, arbitrary: SHARED_OP.framed },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('deferred' as const), n: fc.integer({ min: 1, max: 6 }) }),
  },
  { weight: 5, arbitrary: fc.constant({ t: 'strict' as const }) },
  { weight: 3, arbitrary: fc.constant({ t: 'microtask' as const }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('tick' as const), n: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: SHARED_OP.settle },
  { weight: 4, arbitrary: SHARED_OP.crash },
  { weight: 1, arbitrary: SHARED_OP.failSync },
  { weight: 2, arbitrary: SHARED_OP.failWrite },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('slowSync' as const), ms: fc.integer({ min: 0, max: 2 }) }),
  },
  { weight: 1, arbitrary: SHARED_OP.full },
  { weight: 1, arbitrary: SHARED_OP.unfull },
  { weight: 1, arbitrary: SHARED_OP.reopen },
  { weight: 1, arbitrary: SHARED_OP.read },
);

interface Config {
  readonly preallocate: PreallocateMode;
  readonly syncPolicy: 'fdatasync' | 'fsync';
  /** Absent: the default (2). */
  commitsInFlightMax?: number;
}

const configArb: fc.Arbitrary<Config> = fc.record({
  preallocate: fc.constantFrom<PreallocateMode>('inline', 'off', 'auto', 'background'),
  syncPolicy: fc.constantFrom<'fdatasync' | 'fsync'>('fdatasync', 'fsync'),
  // The default pipeline of two more often than one commit at a time.
  commitsInFlightMax: fc.constantFrom(2, 2, 1),
});

/**
 * How often a strict append met a group commit's write still on the thread pool, or its sync in flight; and
 * how often it met two group commits in flight (one syncing, the next written meanwhile).
 */
export interface Coverage {
  strictDuringWrite: number;
  strictDuringSync: number;
  strictDuringTwoCommits: number;
}

/** The writer's in-flight write (a private field: read only to prove the interleaving was reached). */
function writeInFlight(wal: Wal): boolean {
  return (wal as unknown as { writer: { writing?: unknown } }).writer.writing !== undefined;
}

/** The group commits in flight (a private field, read as `writeInFlight`). */
function commitsInFlight(wal: Wal): ReadonlyArray<{ syncing: boolean }> {
  return (wal as unknown as { inFlight: Array<{ syncing: boolean }> }).inFlight;
}

function syncInFlight(wal: Wal): boolean {
  return commitsInFlight(wal).some((c) => c.syncing);
}

export async function runInterleaved(
  ops: readonly Op[],
  diskSeed: number,
  cfg: Config,
  coverage: Coverage,
): Promise<void> {
  const opts = { dir: DIR, ...BASE, ...cfg };
  let disk = new SimDisk(diskSeed);
  /**
   * Deferred records (appendDeferred, appendDeferredSync) take a position from a sequencer when built, as
   * the hash chain does: id -> position. In the log, the deferred records must hold positions 0, 1, 2, ...
   * in order (a failed batch's restore must leave no gap nor reuse a position a record in the log holds).
   */
  const positionOf = new Map<number, number>();
  const deferredIds = new Set<number>();
  /** Opens the WAL with a sequencer of its own, resuming after the deferred records in the log. */
  const openWal = (): Wal => {
    const w = Wal.open({ ...opts, fs: disk });
    let inLog = 0;
    for (const r of w.read()) if (deferredIds.has(idOfWholePayload(r.payload) ?? -1)) inLog++;
    const st = { counter: inLog };
    w.setSequencer({
      snapshot: () => st.counter,
      restore: (s) => {
        st.counter = s as number;
      },
    });
    sequencers.set(w, st);
    return w;
  };
  const sequencers = new WeakMap<Wal, { counter: number }>();
  const deferredOf = (w: Wal, id: number): DeferredRecord => ({
    estimatedBytes: payloadFor(id).length,
    build: () => {
      const st = sequencers.get(w) as { counter: number };
      positionOf.set(id, st.counter++);
      return { payload: payloadFor(id), timeUnixNano: 1n };
    },
  });
  let wal = openWal();
  let nextId = 1;
  let callOrder = 0;
  const acked = new Map<number, Buffer>();
  const orderOfId = new Map<number, number>();
  let outstanding: Array<Promise<unknown>> = [];
  let generation = 0;

  const track = (gen: number, ids: number[], p: Promise<number>): void => {
    outstanding.push(
      p.then(
        (firstSeq) => {
          if (gen !== generation) return;
          ids.forEach((id, i) => acked.set(firstSeq + i, payloadFor(id)));
        },
        () => undefined,
      ),
    );
  };
  const newIds = (n: number): number[] =>
    Array.from({ length: n }, () => {
      const id = nextId++;
      orderOfId.set(id, callOrder++);
      return id;
    });
  const settle = async (): Promise<void> => {
    await Promise.all(outstanding);
    outstanding = [];
  };

  const check = (where: string): void => {
    const rec = wal.recovery;
    expect(
      rec.corruptions,
      `${where}: a crash must never look like corruption: ${JSON.stringify(rec)}`,
    ).toEqual([]);
    const recs = [...wal.read()];
    let expectSeq = 1;
    let lastOrder = -1;
    const seenIds = new Set<number>();
    for (const r of recs) {
      expect(r.seq, `${where}: sequence numbers without gaps`).toBe(expectSeq++);
      const id = idOfWholePayload(r.payload);
      expect(id, `${where}: record ${r.seq} is whole`).toBeDefined();
      const order = orderOfId.get(id as number) as number;
      expect(seenIds.has(id as number), `${where}: record id ${id} appears once`).toBe(false);
      seenIds.add(id as number);
      expect(order, `${where}: call order kept at seq ${r.seq}`).toBeGreaterThan(lastOrder);
      lastOrder = order;
    }
    let position = 0;
    for (const r of recs) {
      const id = idOfWholePayload(r.payload) as number;
      if (!deferredIds.has(id)) continue;
      expect(
        positionOf.get(id),
        `${where}: deferred record ${id} (seq ${r.seq}) holds the next position`,
      ).toBe(position++);
    }
    for (const [seq, payload] of acked) {
      const r = recs[seq - 1];
      expect(r?.payload.equals(payload), `${where}: acknowledged seq ${seq} present and byte-exact`).toBe(
        true,
      );
    }
    acked.clear();
    for (const r of recs) acked.set(r.seq, Buffer.from(r.payload));
  };

  const reopenAfterCrash = (mode: CrashMode, seed: number, where: string): void => {
    expect(disk.stats.closesWithIoInFlight, `${where}: no file closed with I/O in flight`).toBe(0);
    generation++;
    disk = disk.crash({ mode, seed });
    disk.setCapacityBytes(undefined);
    wal = openWal();
    check(where);
  };

  const trace: string[] = [];
  const state = (): string => {
    const w = wal as unknown as {
      nextSeq: number;
      segments: Array<{ name: string; lastSeq: number; dataEnd: number; state: string }>;
    };
    return `writing=${writeInFlight(wal)} sync=${syncInFlight(wal)} durable=${wal.durableSeq} next=${w.nextSeq} segs=${w.segments.map((s) => `${Number(s.name.slice(0, 20))}:${s.lastSeq}@${s.dataEnd}/${s.state}`).join(',')}`;
  };
  try {
    for (const [i, op] of ops.entries()) {
      const where = `op ${i} (${op.t})`;
      trace.push(`${where} before: ${state()}`);
      switch (op.t) {
        case 'append':
          for (const id of newIds(op.n)) track(generation, [id], wal.append(payloadFor(id)));
          break;
        case 'batch': {
          const ids = newIds(op.n);
          track(generation, ids, wal.appendBatch(ids.map(payloadFor)));
          break;
        }
        case 'framed': {
          const ids = newIds(op.n);
          track(generation, ids, wal.appendFramedBatch(framesInBlock(ids.map(payloadFor))));
          break;
        }
        case 'deferred': {
          const ids = newIds(op.n);
          for (const id of ids) deferredIds.add(id);
          const w = wal;
          track(generation, ids, wal.appendDeferred(ids.map((id) => deferredOf(w, id))));
          break;
        }
        case 'strict': {
          // NOT settled first: a group commit's write or sync may be in flight.
          // An append waiting for room (whenQueueFull 'block') was called before this one but gets its
          // number after it: settle first then, or the call-order check fails for a documented reason.
          if ((wal as unknown as { blockedCount: number }).blockedCount > 0) await settle();
          const [id] = newIds(1);
          if (writeInFlight(wal)) coverage.strictDuringWrite++;
          else if (syncInFlight(wal)) coverage.strictDuringSync++;
          if (commitsInFlight(wal).length > 1) coverage.strictDuringTwoCommits++;
          try {
            // Every other one a deferred record (appendDeferredSync), built at its position now.
            if ((id as number) % 2 === 0) deferredIds.add(id as number);
            const seq =
              (id as number) % 2 === 0
                ? wal.appendDeferredSync(deferredOf(wal, id as number))
                : wal.appendSync(payloadFor(id as number));
            acked.set(seq, payloadFor(id as number));
          } catch {
            // refused or failed: not acknowledged
          }
          // Readers of the live writer see exactly the durable records, intact (a strict append may have made
          // the in-flight group commit's records durable and readable before that commit is acknowledged).
          const recs = [...wal.read()];
          expect(recs.length, `${where}: readers see exactly the durable records`).toBe(wal.durableSeq);
          break;
        }
        case 'microtask':
          await Promise.resolve();
          break;
        case 'tick':
          for (let k = 0; k < op.n; k++) await new Promise((r) => setImmediate(r));
          break;
        case 'settle':
          await settle();
          break;
        case 'failSync':
          disk.failNextSync('EIO');
          break;
        case 'failWrite':
          disk.failNextWrite('EIO');
          break;
        case 'slowSync':
          disk.setSyncDelayMs(op.ms);
          break;
        case 'full':
          disk.setCapacityBytes(disk.usedBytes + op.bytes);
          break;
        case 'unfull':
          disk.setCapacityBytes(undefined);
          break;
        case 'read': {
          const durable = wal.durableSeq;
          const recs = [...wal.read()];
          expect(recs.length, `${where}: readers see exactly the durable records`).toBe(durable);
          break;
        }
        case 'reopen':
          await settle();
          await wal.close();
          expect(disk.stats.closesWithIoInFlight, `${where}: no file closed with I/O in flight`).toBe(0);
          disk.clearFaults();
          disk.setCapacityBytes(undefined);
          disk.setSyncDelayMs(0);
          wal = openWal();
          check(where);
          break;
        case 'crash':
          reopenAfterCrash(op.mode, op.seed, where);
          await settle();
          break;
      }
    }
  } catch (err) {
    trace.push(`failed: ${state()}`);
    throw new Error(`${String(err)}\n${trace.join('\n')}`, { cause: err });
  }
  await settle();
  expect(disk.stats.closesWithIoInFlight, 'no file closed with I/O in flight').toBe(0);
  reopenAfterCrash('tear', diskSeed, 'final crash');
  await wal.close();
}

/**
 * A counterexample seen once (10:04 UTC on 8c36b55 + a working tree in flux; not reproduced alone): the 'read'
 * after the two strict appends threw WAL_CORRUPT, "bad frame at offset 209 (zero)" in segment 1 — a record
 * acknowledged after the group commit's missing bytes, the symptom of the window ba3fddf closed (a strict
 * append between the thread-pool write's failure and the WAL handling it skipped the rewrite).
 */
const REGRESSION_CASES: ReadonlyArray<{ ops: Op[]; diskSeed: number; cfg: Config }> = [
  {
    ops: [
      { t: 'append', n: 1 },
      { t: 'tick', n: 1 },
      { t: 'batch', n: 1 },
      { t: 'batch', n: 1 },
      { t: 'tick', n: 1 },
      { t: 'failWrite' },
      { t: 'strict' },
      { t: 'strict' },
      { t: 'read' },
      { t: 'append', n: 1 },
    ],
    diskSeed: 1,
    cfg: { preallocate: 'inline', syncPolicy: 'fdatasync' },
  },
];

const RUNS = Number(process.env.WAL_INTERLEAVE_RUNS ?? 400);

describe('strict appends interleaved with a group commit on the thread pool, across crashes', () => {
  it(`keeps every acknowledged record (${RUNS} runs)`, async () => {
    const coverage: Coverage = { strictDuringWrite: 0, strictDuringSync: 0, strictDuringTwoCommits: 0 };
    for (const r of REGRESSION_CASES) await runInterleaved(r.ops, r.diskSeed, r.cfg, coverage);
    const seedFromEnv = process.env.WAL_INTERLEAVE_SEED;
    const runBatch = (numRuns: number, seed: number | undefined) =>
      fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }),
          fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          configArb,
          (ops, diskSeed, cfg) => runInterleaved(ops, diskSeed, cfg, coverage),
        ),
        {
          numRuns,
          ...(seed !== undefined ? { seed } : {}),
          ...(process.env.WAL_INTERLEAVE_PATH
            ? { path: process.env.WAL_INTERLEAVE_PATH, endOnFailure: true }
            : {}),
        },
      );
    await runBatch(RUNS, seedFromEnv ? Number(seedFromEnv) : undefined);
    let runsMade = RUNS;
    // A replay (seed or path from the environment) checks that one case: no coverage claim.
    if (seedFromEnv || process.env.WAL_INTERLEAVE_PATH) return;
    // How often a strict append lands while the group commit's write is on the thread pool depends on how
    // the thread pool and the event loop interleave on this machine: 46..77 per 400 runs were seen (46 on a
    // loaded CI runner, where a fixed threshold of 50 failed). So more runs are made (each a real check, new
    // random cases) until both interleavings were reached RUNS / 8 times, and then each must have been
    // reached in more than 1 run in 16 of all made (11.5% at the lowest seen): a change that makes them
    // rare or unreachable still fails.
    // A strict append meeting two group commits in flight (the second written while the first syncs) is
    // rarer: 11..22 per 400 runs were seen; it must be reached RUNS / 100 times, in more than 1 run in 200.
    const target = RUNS / 8;
    const targetTwoCommits = RUNS / 100;
    const MORE_BATCHES_MAX = 6;
    for (
      let batch = 0;
      batch < MORE_BATCHES_MAX &&
      (coverage.strictDuringWrite <= target ||
        coverage.strictDuringSync <= target ||
        coverage.strictDuringTwoCommits <= targetTwoCommits);
      batch++
    ) {
      await runBatch(Math.ceil(RUNS / 4), undefined);
      runsMade += Math.ceil(RUNS / 4);
    }
    console.log(`review interleave: ${JSON.stringify({ ...coverage, runsMade })}`);
    // The interleavings under review were reached (not a vacuous pass), and not rarely.
    expect(coverage.strictDuringWrite).toBeGreaterThan(target);
    expect(coverage.strictDuringSync).toBeGreaterThan(target);
    expect(coverage.strictDuringWrite).toBeGreaterThan(runsMade / 16);
    expect(coverage.strictDuringSync).toBeGreaterThan(runsMade / 16);
    expect(coverage.strictDuringTwoCommits).toBeGreaterThan(targetTwoCommits);
    expect(coverage.strictDuringTwoCommits).toBeGreaterThan(runsMade / 200);
  }, 300_000);
});
