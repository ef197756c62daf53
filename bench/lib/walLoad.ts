/**
 * Load generators for the WAL benchmark.
 *
 * - `closedLoop`: N clients, each awaiting `wal.append(payload)` and then
 *   appending again, so exactly N appends are outstanding at any time.
 * - `openLoop`: appends issued on a fixed schedule (offered load independent
 *   of how fast the WAL acknowledges), recording each append's latency.
 */
import { performance } from 'node:perf_hooks';
import type { Wal } from '../../src/wal/index.ts';
import { percentile } from './stats.ts';

export interface ClosedLoopOptions {
  readonly wal: Wal;
  readonly payload: Uint8Array;
  /** Number of concurrent clients = outstanding appends. */
  readonly concurrency: number;
  /** Run (not counted) before measuring, so JIT, the first segment and the thread pool are warm. */
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface ClosedLoopResult {
  readonly recordsPerSecond: number;
  readonly records: number;
  readonly elapsedMs: number;
  /** WAL commits (one write + one fdatasync each) during the measured window. */
  readonly commits: number;
  /** Mean records per commit during the measured window. */
  readonly recordsPerCommit: number;
  /** Process CPU time (all threads, user + system) per acknowledged record in the window, in µs. */
  readonly cpuUsPerRecord: number;
  /** Event-loop utilization in the window (1 = the main thread never waited for I/O). */
  readonly eventLoopUtilization: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function closedLoop(o: ClosedLoopOptions): Promise<ClosedLoopResult> {
  let running = true;
  let counting = false;
  let acked = 0;
  const client = async (): Promise<void> => {
    while (running) {
      await o.wal.append(o.payload);
      if (counting) acked++;
    }
  };
  const clients = Array.from({ length: o.concurrency }, () => client());
  await sleep(o.warmupMs);
  // The timer callback runs between commits, so the window starts and ends on acknowledgement boundaries.
  const commits0 = o.wal.status().commits;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  counting = true;
  const start = process.hrtime.bigint();
  await sleep(o.durationMs);
  counting = false;
  const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const commits = o.wal.status().commits - commits0;
  const records = acked;
  running = false;
  await Promise.all(clients);
  return {
    recordsPerSecond: (records * 1000) / elapsedMs,
    records,
    elapsedMs,
    commits,
    recordsPerCommit: records / Math.max(1, commits),
    cpuUsPerRecord: (cpu.user + cpu.system) / Math.max(1, records),
    eventLoopUtilization: elu.utilization,
  };
}

export interface OpenLoopOptions {
  readonly wal: Wal;
  readonly payload: Uint8Array;
  /** Offered load in records per second. */
  readonly ratePerSecond: number;
  /** Timer period of the generator; each tick issues every append that is due by then. */
  readonly tickMs: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface OpenLoopResult {
  readonly offeredPerSecond: number;
  readonly achievedPerSecond: number;
  readonly issued: number;
  readonly acked: number;
  /** Latency from the `append()` call to its promise resolving. */
  readonly callP50Ms: number;
  readonly callP99Ms: number;
  readonly callP999Ms: number;
  readonly callMaxMs: number;
  /** Latency from the append's scheduled time (includes the generator's timer lag). */
  readonly schedP50Ms: number;
  readonly schedP99Ms: number;
  /** How late the generator issued appends relative to their schedule. */
  readonly issueLagP99Ms: number;
  readonly commits: number;
  readonly recordsPerCommit: number;
}

/**
 * Open-loop generator: append i is scheduled at `start + i / rate`. A timer
 * fires every `tickMs` and issues every append whose scheduled time has
 * passed (catching up after a late tick), so the offered rate is exact over
 * the run whatever the timer jitter. Each append's latency is measured both
 * from its call (the WAL's own latency) and from its scheduled time (what a
 * producer with a fixed arrival rate would see, including generator lag).
 * Only appends scheduled inside the measured window are recorded.
 */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const periodNs = 1e9 / o.ratePerSecond;
  const warmupNs = o.warmupMs * 1e6;
  const totalNs = (o.warmupMs + o.durationMs) * 1e6;
  const measured = Math.ceil((o.durationMs * o.ratePerSecond) / 1000);
  const callLat = new Float64Array(measured);
  const schedLat = new Float64Array(measured);
  const issueLag = new Float64Array(measured);
  let issued = 0;
  let ackedInWindow = 0;
  let lastAckNs = 0;
  let commits0 = 0;
  const pending: Promise<void>[] = [];
  const start = process.hrtime.bigint();
  const nowNs = (): number => Number(process.hrtime.bigint() - start);

  await new Promise<void>((resolveRun, rejectRun) => {
    let next = 0;
    const tick = (): void => {
      const now = nowNs();
      // Issue everything due up to now (and not past the end of the run).
      while (next * periodNs <= now && next * periodNs < totalNs) {
        const scheduledNs = next * periodNs;
        const inWindow = scheduledNs >= warmupNs;
        const slot = inWindow ? issued++ : -1;
        if (inWindow && slot === 0) commits0 = o.wal.status().commits;
        const callNs = nowNs();
        const p = o.wal.append(o.payload).then(() => {
          const doneNs = nowNs();
          if (slot >= 0 && slot < measured) {
            callLat[slot] = (doneNs - callNs) / 1e6;
            schedLat[slot] = (doneNs - scheduledNs) / 1e6;
            issueLag[slot] = (callNs - scheduledNs) / 1e6;
            ackedInWindow++;
            lastAckNs = doneNs;
          }
        }, rejectRun);
        if (slot >= 0) pending.push(p);
        next++;
      }
      if (next * periodNs >= totalNs) {
        clearInterval(timer);
        resolveRun();
      }
    };
    const timer = setInterval(tick, o.tickMs);
  });
  await Promise.all(pending);
  const commits = o.wal.status().commits - commits0;
  const n = Math.min(ackedInWindow, measured);
  // Achieved: records of the window acknowledged, over the time from the window's start to the last of them.
  const achievedPerSecond = (n * 1e9) / Math.max(1, lastAckNs - warmupNs);
  return {
    offeredPerSecond: o.ratePerSecond,
    achievedPerSecond,
    issued,
    acked: n,
    callP50Ms: percentile(callLat, n, 50),
    callP99Ms: percentile(callLat, n, 99),
    callP999Ms: percentile(callLat, n, 99.9),
    callMaxMs: percentile(callLat, n, 100),
    schedP50Ms: percentile(schedLat, n, 50),
    schedP99Ms: percentile(schedLat, n, 99),
    issueLagP99Ms: percentile(issueLag, n, 99),
    commits,
    recordsPerCommit: n / Math.max(1, commits),
  };
}
