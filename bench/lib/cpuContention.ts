/**
 * How much a process was kept off the CPU (Linux only; `undefined`
 * elsewhere): the run-queue wait of a thread from `/proc/<pid>/task/<tid>/schedstat`
 * (time runnable but not running), and the system-wide CPU pressure stall
 * from `/proc/pressure/cpu` (time at least one task waited for a CPU). On a
 * shared 2-CPU machine these tell a slow server from a starved one.
 */
import fs from 'node:fs';

export interface ContentionSample {
  readonly atNs: bigint;
  /** Nanoseconds the thread spent runnable but waiting for a CPU, since it started. */
  readonly runQueueWaitNs: number | undefined;
  /** Microseconds some task waited for a CPU, system-wide, since boot. */
  readonly pressureSomeUs: number | undefined;
}

function readNumber(file: string, pick: (text: string) => string | undefined): number | undefined {
  try {
    const v = Number(pick(fs.readFileSync(file, 'utf8')));
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A sample for thread `tid` of process `pid` (default: this process's main thread). */
export function sampleContention(pid: number = process.pid, tid: number = pid): ContentionSample {
  return {
    atNs: process.hrtime.bigint(),
    runQueueWaitNs: readNumber(`/proc/${pid}/task/${tid}/schedstat`, (t) => t.split(' ')[1]),
    pressureSomeUs: readNumber('/proc/pressure/cpu', (t) => /^some .*total=(\d+)/m.exec(t)?.[1]),
  };
}

/** Between two samples, as % of the elapsed time: the thread's run-queue wait and the system's CPU stall. */
export function contentionBetween(
  a: ContentionSample,
  b: ContentionSample,
): { runQueueWaitPercent: number | undefined; cpuPressurePercent: number | undefined } {
  const ns = Number(b.atNs - a.atNs);
  const pct = (x: number | undefined, y: number | undefined, scale: number): number | undefined =>
    x === undefined || y === undefined || ns <= 0 ? undefined : ((y - x) * scale * 100) / ns;
  return {
    runQueueWaitPercent: pct(a.runQueueWaitNs, b.runQueueWaitNs, 1),
    cpuPressurePercent: pct(a.pressureSomeUs, b.pressureSomeUs, 1000),
  };
}
