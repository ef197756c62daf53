/**
 * SlowDisk: every fsync takes SYNC_TURNS_PER_STEP to 3x that many event-loop
 * turns (`SimWalHarness.setSyncDelayTurns`: simulated time, so the seed alone
 * decides what overlaps a sync, and the iteration never sits idle) while a
 * flood of appends (singles and batches, issued without waiting) hits a WAL
 * with a small queue (`queueBytesMax` 8 to 32 KiB), refusing (`reject`) or
 * holding (`block`) what does not fit. Required: every refusal is a typed,
 * retryable WAL_QUEUE_FULL (the writer retries it later, after a few turns);
 * the bytes accepted but not yet durable (`status().queuedBytes`) never
 * exceed twice `queueBytesMax`; every record is eventually acknowledged; and
 * a power loss afterwards (`lose`: only what was synced survives) keeps them
 * all. The fault is the backpressure: its count is the appends the WAL
 * really refused or held (its own counters, read around each append); an
 * iteration in which none was is no fault (noFault), whatever it checked.
 */
import { OtelAuditError } from '../../src/errors.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { Prng } from '../prng.ts';
import { describeError, SimWalHarness, type AppendOutcome } from '../SimWalHarness.ts';
import { randomWalOptions } from '../walShapes.ts';

/** Retries of one record before the scenario calls it starvation. */
const RETRIES_MAX = 10_000;
/**
 * Event-loop turns per step of sync delay (the seed draws 1 to 3 steps) and before a retry. Chosen so that
 * the queue fills as it did with the 1-3 ms real-time delays and 1 ms retry backoff this replaces: over
 * 60-100 seeds, backpressure in every iteration but none and a peak of 0.82 x queueBytesMax on average
 * either way, with a third of the retry storm (500 refusals per iteration, not 1,000) and 30% less CPU.
 */
const SYNC_TURNS_PER_STEP = 4;
/** Turns a client waits before retrying a refused append. */
const RETRY_BACKOFF_TURNS = 16;

export const slowDisk: Scenario = {
  name: 'SlowDisk',
  kind: 'simulated',
  description:
    'fsync takes 1-3 ms under a flood of appends with a small queue (block and reject): typed retryable backpressure, queued bytes within 2x the bound, no loss',
  run,
};

/**
 * Submits `count` records and tells whether the WAL held them for room: it decides at once whether an
 * append is queued (its `queuedRecords` grows), refused (`refusedAppends` grows) or held (neither).
 */
export function submitWatched(
  h: SimWalHarness,
  count: number,
): { readonly outcome: Promise<AppendOutcome>; readonly held: boolean } {
  const before = h.wal?.status();
  const outcome = h.submit(count);
  const after = h.wal?.status();
  const held =
    before !== undefined &&
    after !== undefined &&
    after.queuedRecords === before.queuedRecords &&
    after.refusedAppends === before.refusedAppends;
  return { outcome, held };
}

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rng = new Prng(ctx.seed);
  const queueBytesMax = rng.pick([8, 16, 32]) * 1024;
  const whenQueueFull = rng.pick(['block', 'reject'] as const);
  const syncDelayTurns = rng.int(1, 3) * SYNC_TURNS_PER_STEP;
  const h = new SimWalHarness({
    seed: rng.u32(),
    chained: rng.chance(0.5),
    wal: {
      ...randomWalOptions(rng),
      queueBytesMax,
      queueRecordsMax: rng.pick([8, 32, 128]),
      whenQueueFull,
    },
  });
  const what = `${whenQueueFull}, queueBytesMax ${queueBytesMax}, fsync ${syncDelayTurns} turns${h.chained ? ', chained' : ''}`;
  const violations: string[] = [];
  const openError = h.open();
  if (openError !== undefined) violations.push(`the new WAL did not open: ${describeError(openError)}`);
  h.setSyncDelayTurns(syncDelayTurns);
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, h.wal?.status().queuedBytes ?? 0);
  };
  let refusals = 0;
  /** Appends the WAL held for room (`block`): it neither queued nor refused them when they were made. */
  let held = 0;
  let acknowledged = 0;
  const wrongErrors = new Set<string>();
  /** Appends one logical item (a record or a batch), retrying refusals until acknowledged. */
  const item = async (count: number): Promise<void> => {
    for (let attempt = 0; attempt < RETRIES_MAX; attempt++) {
      const { outcome: pending, held: wasHeld } = submitWatched(h, count);
      sample();
      const outcome: AppendOutcome = await pending;
      if (outcome.ok) {
        if (wasHeld) held++;
        acknowledged += count;
        return;
      }
      const e = outcome.error;
      if (!(e instanceof OtelAuditError) || e.code !== 'WAL_QUEUE_FULL' || !e.retryable) {
        wrongErrors.add(describeError(e));
        return;
      }
      refusals++;
      // A client backs off before retrying a retryable refusal.
      await h.tick(RETRY_BACKOFF_TURNS);
    }
    wrongErrors.add(`a record was refused ${RETRIES_MAX} times in a row (starvation)`);
  };
  const items: Array<Promise<void>> = [];
  let records = 0;
  const total = rng.int(60, 250);
  while (records < total && !ctx.signal.aborted) {
    // A burst issued without waiting, then a pause of a few event-loop turns.
    const burst = rng.int(5, 60);
    for (let i = 0; i < burst && records < total; i++) {
      const count = rng.chance(0.2) ? rng.int(2, 6) : 1;
      records += count;
      items.push(item(count));
    }
    sample();
    await h.tick(rng.int(0, 3));
    sample();
  }
  let settled = false;
  const all = Promise.all(items).finally(() => (settled = true));
  while (!settled) {
    sample();
    await h.tick(1);
  }
  await all;
  await h.settle();
  for (const e of wrongErrors)
    violations.push(`${what}: an append failed with ${e}, not a retryable WAL_QUEUE_FULL`);
  if (peak > 2 * queueBytesMax) {
    violations.push(
      `${what}: ${peak} bytes were queued, more than twice queueBytesMax (${2 * queueBytesMax})`,
    );
  }
  if (violations.length === 0 && acknowledged !== records) {
    violations.push(`${what}: ${records} records were appended but only ${acknowledged} acknowledged`);
  }
  if (violations.length === 0) {
    h.crash('lose', rng.u32());
    await h.settle();
    violations.push(...h.check(`${what}, after power loss (lose)`, { verify: true }));
  }
  return {
    ok: violations.length === 0,
    acknowledged: h.ledger.ackCount,
    faults: refusals + held,
    violations,
    metrics: { peakQueuedBytes: peak, queueBytesMax, refusals, held, syncDelayTurns },
  };
}
