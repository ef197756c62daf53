/**
 * Model-based crash testing of the WAL over the simulated disk.
 *
 * fast-check generates sequences of operations — appends (single, batch,
 * strict, strict while a group commit is in flight), event-loop turns, crashes of every kind at arbitrary points of the
 * commit pipeline, fsync and write failures, a full disk, clean reopen, reads — and runs
 * them against the real WAL on a SimDisk, checking after every reopen:
 * - opening never fails, and a crash is never reported as corruption;
 * - every acknowledged record is present, byte-exact, with its sequence number;
 * - sequence numbers run 1..N with no gap and no duplicate;
 * - every record present is whole (self-checking payload) and appears once,
 *   and records appear in the order their appends were called.
 * Failing seeds found so far are replayed first (REGRESSION_SEEDS).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import { idOfWholePayload, payloadFor, SHARED_OP, type SharedOp } from './testutil/crashModelOps.ts';
import { framesInBlock } from './testutil/frames.ts';
import { Wal } from './Wal.ts';

const DIR = '/data/wal';
const OPTS = {
  segmentBytesMax: 8 * 1024,
  payloadBytesMax: 2048,
  indexIntervalBytes: 1024,
  preallocate: 'inline' as const,
  failureBackoffMs: 0,
  queueRecordsMax: 64,
};

type Op = SharedOp | { t: 'strict' } | { t: 'strictNow' } | { t: 'tick'; n: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: SHARED_OP.append },
  { weight: 2, arbitrary: SHARED_OP.batch },
  { weight: 2, arbitrary: SHARED_OP.framed },
  { weight: 1, arbitrary: fc.constant({ t: 'strict' as const }) },
  // A strict append while a group commit's write (on the thread pool) or sync may be in flight.
  { weight: 1, arbitrary: fc.constant({ t: 'strictNow' as const }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('tick' as const), n: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 2, arbitrary: SHARED_OP.settle },
  { weight: 5, arbitrary: SHARED_OP.crash },
  { weight: 1, arbitrary: SHARED_OP.failSync },
  { weight: 1, arbitrary: SHARED_OP.failWrite },
  { weight: 1, arbitrary: SHARED_OP.full },
  { weight: 1, arbitrary: SHARED_OP.unfull },
  { weight: 1, arbitrary: SHARED_OP.reopen },
  { weight: 1, arbitrary: SHARED_OP.read },
);

interface Stats {
  crashes: number;
}

async function runScenario(ops: readonly Op[], diskSeed: number, stats: Stats): Promise<void> {
  let disk = new SimDisk(diskSeed);
  let wal = Wal.open({ dir: DIR, fs: disk, ...OPTS });
  let nextId = 1;
  let callOrder = 0;
  const acked = new Map<number, Buffer>(); // seq -> payload
  const orderOfId = new Map<number, number>();
  let outstanding: Array<Promise<unknown>> = [];
  let generation = 0;
  /** Records appended whose promise has not settled (none is blocked while below queueRecordsMax). */
  let pendingRecords = 0;

  const track = (gen: number, ids: number[], p: Promise<number>): void => {
    pendingRecords += ids.length;
    outstanding.push(
      p.then(
        (firstSeq) => {
          pendingRecords -= ids.length;
          if (gen !== generation) return; // resolved after its disk crashed: not required
          ids.forEach((id, i) => acked.set(firstSeq + i, payloadFor(id)));
        },
        () => {
          pendingRecords -= ids.length;
        },
      ),
    );
  };
  const strictAppend = (): void => {
    const [id] = newIds(1);
    try {
      const seq = wal.appendSync(payloadFor(id as number));
      acked.set(seq, payloadFor(id as number));
    } catch {
      // refused (e.g. disk full): not acknowledged
    }
  };
  /** No file closed under a write or sync still in flight (SimDisk counts them). */
  const noCloseUnderIo = (where: string): void =>
    expect(disk.stats.closesWithIoInFlight, `${where}: a file closed with I/O in flight`).toBe(0);
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
    for (const [seq, payload] of acked) {
      const r = recs[seq - 1];
      expect(r?.payload.equals(payload), `${where}: acknowledged seq ${seq} present and byte-exact`).toBe(
        true,
      );
    }
    // Everything readable now is the new baseline: later acks must not contradict it.
    acked.clear();
    for (const r of recs) acked.set(r.seq, Buffer.from(r.payload));
  };

  for (const [i, op] of ops.entries()) {
    const where = `op ${i} (${op.t})`;
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
        // Payloads written inside their frames, adjacent in one block (the audit_wal exporter's way).
        const ids = newIds(op.n);
        track(generation, ids, wal.appendFramedBatch(framesInBlock(ids.map(payloadFor))));
        break;
      }
      case 'strict':
        await settle();
        strictAppend();
        break;
      case 'strictNow':
        // A strict append goes after the queued appends but before blocked ones (called earlier): the
        // order check needs none blocked.
        if (pendingRecords >= OPTS.queueRecordsMax) await settle();
        strictAppend();
        break;
      case 'failWrite':
        disk.failNextWrite('EIO');
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
        noCloseUnderIo(where);
        disk.clearFaults();
        disk.setCapacityBytes(undefined);
        wal = Wal.open({ dir: DIR, fs: disk, ...OPTS });
        check(where);
        break;
      case 'crash': {
        generation++;
        noCloseUnderIo(where);
        disk = disk.crash({ mode: op.mode, seed: op.seed });
        stats.crashes++;
        await settle();
        disk.setCapacityBytes(undefined);
        wal = Wal.open({ dir: DIR, fs: disk, ...OPTS });
        check(where);
        break;
      }
    }
  }
  await settle();
  disk.setCapacityBytes(undefined);
  generation++;
  noCloseUnderIo('final crash');
  disk = disk.crash({ mode: 'tear', seed: diskSeed });
  stats.crashes++;
  wal = Wal.open({ dir: DIR, fs: disk, ...OPTS });
  check('final crash');
}

/** Counterexamples fast-check once found (shrunk), replayed first as named regression cases. */
const REGRESSION_CASES: ReadonlyArray<{ name: string; ops: Op[]; diskSeed: number }> = [
  {
    name: 'fsync failure while the disk is full, then reopen (open must wrap I/O errors)',
    diskSeed: 1,
    ops: [
      { t: 'full', bytes: 0 },
      { t: 'failSync' },
      { t: 'batch', n: 1 },
      { t: 'reopen' },
      { t: 'crash', mode: 'tear', seed: 0 },
      { t: 'append', n: 1 },
    ],
  },
  {
    name: 'fsyncgate: pages of a failed sync stay readable; recovery must re-persist before trusting them',
    diskSeed: 1,
    ops: [
      { t: 'append', n: 1 },
      { t: 'settle' },
      { t: 'failSync' },
      { t: 'batch', n: 1 },
      { t: 'batch', n: 1 },
      { t: 'reopen' },
      { t: 'crash', mode: 'tear', seed: 0 },
      { t: 'append', n: 1 },
      { t: 'append', n: 1 },
    ],
  },
  {
    name: 'fsync failure while sealing at rollover leaves a footer only the page cache has',
    diskSeed: 1,
    ops: [
      { t: 'batch', n: 1 },
      { t: 'settle' },
      { t: 'append', n: 7 },
      { t: 'append', n: 2 },
      { t: 'append', n: 4 },
      { t: 'failSync' },
      { t: 'batch', n: 2 },
      { t: 'batch', n: 3 },
      { t: 'reopen' },
      { t: 'unfull' },
      { t: 'settle' },
      { t: 'append', n: 1 },
      { t: 'append', n: 1 },
    ],
  },
];

const RUNS = Number(process.env.WAL_MODEL_RUNS ?? 1500);

describe('WAL model-based crash test', () => {
  it(`keeps every acknowledged record through random crashes (${RUNS} runs, >= 10,000 crashes)`, async () => {
    const stats: Stats = { crashes: 0 };
    const property = fc.asyncProperty(
      fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      (ops, seed) => runScenario(ops, seed, stats),
    );
    for (const r of REGRESSION_CASES) await runScenario(r.ops, r.diskSeed, stats);
    await fc.assert(property, {
      numRuns: RUNS,
      ...(process.env.WAL_MODEL_SEED ? { seed: Number(process.env.WAL_MODEL_SEED) } : {}),
    });
    console.log(`WAL model test: ${RUNS} runs, ${stats.crashes} crashes with recovery checked`);
    // The seed is random: 1,500 runs make ~10,200 crashes since strictNow/failWrite joined the ops (6e11803;
    // 9,955–10,441 seen), with a spread of ~100–150. The bound checks the crashes happen, ~8 spreads below.
    expect(stats.crashes).toBeGreaterThanOrEqual(RUNS >= 1500 ? 9_000 : 0);
  }, 300_000);
});
