/**
 * RealDiskFull, a real-file-system scenario: the WAL on a small tmpfs
 * (`mount -t tmpfs -o size=4m`, needs root / CAP_SYS_ADMIN) that a filler
 * file and the WAL itself fill up until the kernel answers ENOSPC.
 *
 * One iteration (choices drawn from `ctx.seed`: filler size, segment size,
 * preallocation mode, failure backoff, load mix, whether the WAL is closed
 * and reopened while the disk is still full):
 * 1. mount the tmpfs at `ctx.workDir/mnt`, write the filler, open the WAL;
 * 2. append with concurrent `append` / `appendBatch` / `appendSync` loops
 *    until every loop has been refused and the WAL has refused enough;
 *    every refusal must be `WAL_DISK_FULL` with `retryable: true`;
 * 3. while full: every acknowledged record reads back byte-exact from the
 *    open WAL; optionally close it and reopen it on the full disk (the
 *    reopen may be refused, retryably, or succeed: never lose anything);
 * 4. delete the filler: appending must resume (after at most the failure
 *    backoff) and a run of appends must then all succeed;
 * 5. close, reopen read-only (full CRC verification) and with `Wal.open`:
 *    the shared oracle (torture/oracle.ts) plus PayloadLogOracle
 *    (kill9DuringWriteLibrary.ts): no corruption, seqs 1..n without gaps,
 *    every acknowledged record at its seq and byte-exact, every record whole
 *    and once, each loop's records in order, refused records whole or absent
 *    (a refused batch partly written before ENOSPC stays in the log, whole,
 *    if the WAL is closed before it could remove it: counted as
 *    `rejectedFoundInLog`);
 * 6. unmount, always (also after a failure; lazily if busy).
 *
 * Where mounting is not possible (not Linux, not root, no CAP_SYS_ADMIN, no
 * `mount` binary, a container that forbids it), `run` throws the suite's
 * `ScenarioSkippedError` (torture/skipped.ts: `skipped: true`, message
 * starting with `skipped:`, the reason): a skip is not a pass, and the
 * runner lists the scenario as SKIPPED with that reason.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OtelAuditError } from '../../src/errors.ts';
import { openWalReadOnly } from '../../src/wal/readOnly.ts';
import { Wal } from '../../src/wal/Wal.ts';
import type { PreallocateMode } from '../../src/wal/SegmentWriter.ts';
import { PAYLOAD_BYTES_MAX, payloadFor, prng } from '../../test/fixtures/walCrashPayload.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';
import { ScenarioSkippedError } from '../skipped.ts';
import { PayloadLogOracle, readView, sleep, Violations } from './kill9DuringWriteLibrary.ts';

export const TMPFS_BYTES = 4 * 1024 * 1024;
/** Longest fill phase; a disk that never fills in this time is a violation. */
const FILL_MS_MAX = 8000;
/** Refusals wanted before freeing space (and each loop refused at least once). */
const REFUSALS_WANTED = 25;
/** Appends that must all succeed once appending has resumed. */
const RESUMED_APPENDS = 40;
const RESUME_MS_MAX = 3000;

const pick = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const choose = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

function run1(cmd: string, args: readonly string[]): { ok: boolean; detail: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { ok: false, detail: `${cmd}: ${String(r.error)}` };
  const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim();
  return { ok: r.status === 0, detail: `${cmd} ${args.join(' ')}: exit ${r.status}${out ? `: ${out}` : ''}` };
}

/** Mounts a tmpfs of `bytes` at `dir`, or throws ScenarioSkippedError saying why it cannot. */
export function mountTmpfs(dir: string, bytes: number): void {
  if (process.platform !== 'linux')
    throw new ScenarioSkippedError(`tmpfs mounts need Linux (this is ${process.platform})`);
  fs.mkdirSync(dir, { recursive: true });
  const r = run1('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
  if (!r.ok) {
    const who = process.getuid?.() === 0 ? 'as root' : `as uid ${process.getuid?.()} (not root)`;
    throw new ScenarioSkippedError(`cannot mount a tmpfs ${who}: ${r.detail}`);
  }
}

/** Unmounts `dir`; retries, then detaches lazily. Returns a problem, or undefined. */
export function unmount(dir: string): string | undefined {
  let last = '';
  for (let i = 0; i < 5; i++) {
    const r = run1('umount', [dir]);
    if (r.ok) return undefined;
    last = r.detail;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * (i + 1));
  }
  const lazy = run1('umount', ['-l', dir]);
  return lazy.ok ? `umount failed (${last}); detached lazily` : `umount failed: ${last}; ${lazy.detail}`;
}

/** Is `dir` a mount point right now (its device differs from its parent's)? */
function isMountPoint(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

interface Refusal {
  readonly code: string;
  readonly retryable: boolean;
  readonly ids: readonly string[];
}

function describeError(err: unknown): Refusal['code'] {
  if (err instanceof OtelAuditError) {
    const cause = (err.cause as { code?: unknown } | undefined)?.code;
    return `${err.code}${cause === undefined ? '' : `/${String(cause)}`}`;
  }
  return `not an OtelAuditError: ${String(err)}`;
}

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rnd = prng(ctx.seed);
  const mnt = path.join(ctx.workDir, 'mnt');
  const v = new Violations();
  const oracle = new PayloadLogOracle();
  const warnings: string[] = [];
  const segmentBytes = choose(rnd, [64 * 1024, 256 * 1024, 512 * 1024]);
  const preallocate = choose(rnd, [
    'auto',
    'background',
    'inline',
    'off',
  ] as const satisfies readonly PreallocateMode[]);
  const failureBackoffMs = choose(rnd, [0, 20, 100]);
  const fillerBytes = pick(rnd, 2 * segmentBytes + 256 * 1024, Math.floor(2.6 * 1024 * 1024));
  const reopenWhileFull = rnd() < 0.5;
  const appendLoops = pick(rnd, 1, 4);
  const batchLoops = pick(rnd, 0, 2);
  const syncEvery = rnd() < 0.5 ? pick(rnd, 2, 15) : 0;
  const dir = path.join(mnt, 'wal');
  const filler = path.join(mnt, 'filler');
  const metrics = {
    fillerBytes,
    segmentBytes,
    refusals: 0,
    ackedWhileFilling: 0,
    resumeMs: -1,
    rejectedFoundInLog: 0,
    /** 1: closed and reopened while full, and the reopen succeeded; -1: the reopen was refused (retryably). */
    reopenedWhileFull: 0,
  };
  const refusals: Refusal[] = [];
  let wal: Wal | undefined;
  const open = (): Wal =>
    Wal.open({
      dir,
      segmentBytesMax: segmentBytes,
      payloadBytesMax: PAYLOAD_BYTES_MAX,
      preallocate,
      failureBackoffMs,
      onWarning: (m) => warnings.push(m),
    });
  mountTmpfs(mnt, TMPFS_BYTES); // throws ScenarioSkippedError where it cannot
  try {
    fs.writeFileSync(filler, Buffer.alloc(fillerBytes, 0x5a));
    wal = open();

    // ---- 2. fill until ENOSPC
    const refusedLoops = new Set<string>();
    let stop = false;
    const refused = (loop: string, err: unknown, ids: readonly string[]): void => {
      const retryable = err instanceof OtelAuditError && err.retryable;
      refusals.push({ code: describeError(err), retryable, ids });
      oracle.reject(ids);
      refusedLoops.add(loop);
    };
    const current = (): Wal => wal as Wal;
    const appendLoop = async (k: number): Promise<void> => {
      for (let c = 0; !stop; c++) {
        const id = `0:a${k}:${c}`;
        try {
          if (syncEvery > 0 && c % syncEvery === syncEvery - 1) {
            oracle.ack(current().appendSync(payloadFor(id)), id, v);
            await new Promise((resolve) => setImmediate(resolve));
          } else {
            oracle.ack(await current().append(payloadFor(id)), id, v);
          }
        } catch (err) {
          refused(`a${k}`, err, [id]);
          await sleep(pick(rnd, 0, 3));
        }
      }
    };
    const batchLoop = async (k: number): Promise<void> => {
      for (let c = 0; !stop;) {
        const ids: string[] = [];
        for (let n = pick(rnd, 1, 24); n > 0; n--) ids.push(`0:b${k}:${c++}`);
        try {
          const first = await current().appendBatch(ids.map(payloadFor));
          ids.forEach((id, i) => oracle.ack(first + i, id, v));
        } catch (err) {
          refused(`b${k}`, err, ids);
          await sleep(pick(rnd, 0, 3));
        }
      }
    };
    const loops = [
      ...Array.from({ length: appendLoops }, (_, k) => appendLoop(k)),
      ...Array.from({ length: batchLoops }, (_, k) => batchLoop(k)),
    ];
    const t0 = Date.now();
    while (
      !ctx.signal.aborted &&
      Date.now() - t0 < FILL_MS_MAX &&
      (refusals.length < REFUSALS_WANTED || refusedLoops.size < appendLoops + batchLoops)
    )
      await sleep(5);
    const fillMs = Date.now() - t0; // before the loops wind down: their last appends are not fill time
    stop = true;
    await Promise.all(loops);
    metrics.refusals = refusals.length;
    metrics.ackedWhileFilling = oracle.acknowledged;
    // Only a fill that ran its whole time proves the disk never filled: one the run's time budget stopped
    // early (the signal) has not (npm run torture reported it as a failure at the budget's end).
    if (refusals.length === 0 && fillMs >= FILL_MS_MAX)
      v.add(`the WAL never refused an append in ${FILL_MS_MAX} ms: the disk never filled`);
    const byCode = new Map<string, number>();
    for (const r of refusals) {
      byCode.set(r.code, (byCode.get(r.code) ?? 0) + 1);
      if (!r.retryable) v.add(`refusal ${r.code} of ${r.ids[0]} is not retryable`);
    }
    for (const [code, n] of byCode)
      if (!code.startsWith('WAL_DISK_FULL'))
        v.add(`${n} appends refused with ${code}, expected WAL_DISK_FULL on a full disk`);

    // ---- 3. while full: what was acknowledged reads back; maybe close and reopen on the full disk
    checkAckedReadable('while full', wal, oracle, v);
    if (reopenWhileFull) {
      await wal.close();
      wal = undefined;
      try {
        wal = open();
        metrics.reopenedWhileFull = 1;
        checkAckedReadable('reopened while full', wal, oracle, v);
      } catch (err) {
        metrics.reopenedWhileFull = -1;
        if (!(err instanceof OtelAuditError && err.retryable))
          v.add(
            `reopening on the full disk failed with a permanent error: ${describeError(err)}: ${String(err)}`,
          );
      }
    }

    // ---- 4. free space: appending resumes
    fs.rmSync(filler);
    const t1 = Date.now();
    let resumed = false;
    for (let c = 0; !resumed && Date.now() - t1 < RESUME_MS_MAX; c++) {
      const id = `1:a0:${c}`;
      try {
        wal ??= open();
        oracle.ack(await wal.append(payloadFor(id)), id, v);
        resumed = true;
      } catch {
        oracle.reject([id]);
        await sleep(10);
      }
    }
    if (!resumed) v.add(`appending did not resume within ${RESUME_MS_MAX} ms after space was freed`);
    else {
      metrics.resumeMs = Date.now() - t1;
      const results = await Promise.allSettled(
        Array.from({ length: RESUMED_APPENDS }, (_, i) => {
          const id = `1:b0:${i}`;
          return (wal as Wal).append(payloadFor(id)).then((seq) => oracle.ack(seq, id, v));
        }),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      if (failed.length > 0)
        v.add(
          `${failed.length} of ${RESUMED_APPENDS} appends failed after appending had resumed: ` +
            describeError((failed[0] as PromiseRejectedResult).reason),
        );
    }
    await wal?.close();
    wal = undefined;

    // ---- 5. reopen: the oracle
    const ro = openWalReadOnly({ dir, verify: 'full' });
    oracle.check(
      'read-only reopen',
      readView((o) => ro.reader.records(o), ro.report),
      1,
      v,
    );
    const again = Wal.open({ dir, segmentBytesMax: segmentBytes, payloadBytesMax: PAYLOAD_BYTES_MAX });
    try {
      if (again.status().nextSeq !== oracle.lastSeq + 1)
        v.add(`Wal.open: nextSeq ${again.status().nextSeq}, the read-only check ended at ${oracle.lastSeq}`);
      oracle.check(
        'Wal.open',
        readView((o) => again.read(o), again.recovery),
        1,
        v,
      );
    } finally {
      await again.close();
    }
    metrics.rejectedFoundInLog = oracle.rejectedFound.size;
  } catch (err) {
    v.add(`the iteration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    try {
      await wal?.close();
    } catch {
      // reported through the checks above
    }
    const problem = unmount(mnt);
    if (problem) v.add(problem);
    else if (isMountPoint(mnt)) v.add(`${mnt} is still mounted after umount`);
  }
  const unexpectedWarnings = warnings.filter((w) => !/ENOSPC|disk full/i.test(w));
  for (const w of unexpectedWarnings.slice(0, 3)) v.add(`unexpected WAL warning: ${w}`);
  return {
    ok: v.count === 0,
    acknowledged: oracle.acknowledged,
    faults: metrics.refusals,
    violations: v.result(),
    metrics,
  };
}

/** Every acknowledged record reads back from the open WAL, at its seq, byte-exact. */
function checkAckedReadable(label: string, wal: Wal, oracle: PayloadLogOracle, v: Violations): void {
  const got = new Map<number, Buffer>();
  for (const r of wal.read()) got.set(r.seq, r.payload);
  for (const [seq, id] of oracle.ackedEntries()) {
    const p = got.get(seq);
    if (p === undefined) v.add(`${label}: ACKNOWLEDGED seq ${seq} (${id}) cannot be read`);
    else if (!p.equals(payloadFor(id)))
      v.add(`${label}: ACKNOWLEDGED seq ${seq} does not hold ${id} byte-exact`);
  }
}

export const realDiskFull: Scenario = {
  name: 'RealDiskFull',
  kind: 'real',
  description:
    'the WAL on a 4 MiB tmpfs filled to ENOSPC: refusals are WAL_DISK_FULL and retryable, nothing acknowledged is ' +
    'lost, appending resumes once space is freed, the reopened WAL passes the oracle (skipped: where tmpfs cannot be mounted)',
  run,
};
