/**
 * Real-crash test of the WAL: a child process (test/fixtures/walCrashChild.ts)
 * appends with durable acknowledgements on the real file system and reports
 * every acknowledgement on stdout; the parent kills it with SIGKILL at a
 * random moment, reopens the directory and checks that every acknowledged
 * sequence number is there with its exact payload. Every round reuses the
 * same directory, so each child also recovers the previous child's crash and
 * continues the numbering.
 *
 * After every kill the parent checks (see `Model` for what is re-read when):
 * - recovery reports no corruption (a kill -9 keeps the page cache: it must
 *   never look like corruption, at most like a torn tail), neither in the
 *   parent's read-only open nor in the next child's write-mode open;
 * - sequence numbers are 1..lastSeq with no gap and no duplicate;
 * - every record is whole and byte-exact (payloads encode their identity,
 *   see fixtures/walCrashPayload.ts), and no payload appears twice;
 * - every acknowledged seq is present and holds what was acknowledged;
 *   unacknowledged whole records are accepted anywhere (a kill between an
 *   ack and its line), but once seen they must stay;
 * - each client's records are contiguous and in order: a client appends its
 *   record n+1 only after n was acknowledged, so n+1 in the log implies n
 *   (this also covers acks the child got but was killed before printing);
 * - each child resumed exactly after the previous round's last record.
 * Every few rounds the directory is also opened with `Wal.open` (write-mode
 * recovery: torn tails cut, segments sealed, stale lock taken over) and
 * checked the same way. A second test does the same under a rollover-heavy
 * load (8 KiB segments, each preallocation mode), so kills land in sealing
 * and segment creation. A third uses batches of up to 400 records (~1 KB
 * each) in 4 MiB segments: group commits of 128 KiB and more that fit in the
 * active segment are written on the thread pool, with the child's strict
 * appends (appendSync) landing while those writes are in flight.
 *
 * Env: WAL_CRASH_SEED (reproduce), WAL_CRASH_ROUNDS (default 60),
 * WAL_CRASH_ROLLOVER_ROUNDS (default 8), WAL_CRASH_LARGE_COMMIT_ROUNDS
 * (default 8), WAL_CRASH_KEEP=1 (keep the
 * directory of a failed run), WAL_CRASH_ALLOW_REJECTS=1 (see ALLOW_REJECTS).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { PreallocateMode } from '../src/wal/SegmentWriter.ts';
import { openWalReadOnly } from '../src/wal/readOnly.ts';
import type { RecoveryReport } from '../src/wal/recover.ts';
import { NodeFileSystem } from '../src/wal/fs/NodeFileSystem.ts';
import { Wal } from '../src/wal/Wal.ts';
import type { ReadDamage, ReadOptions, WalRecord } from '../src/wal/WalReader.ts';
import { idOfPayload, PAYLOAD_BYTES_MAX, parseId, payloadFor, prng } from './fixtures/walCrashPayload.ts';

const CHILD = fileURLToPath(new URL('./fixtures/walCrashChild.ts', import.meta.url));

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

const SEED = envInt('WAL_CRASH_SEED', randomBytes(4).readUInt32LE(0));
const ROUNDS = envInt('WAL_CRASH_ROUNDS', 60);
const ROLLOVER_ROUNDS = envInt('WAL_CRASH_ROLLOVER_ROUNDS', 8);
const LARGE_COMMIT_ROUNDS = envInt('WAL_CRASH_LARGE_COMMIT_ROUNDS', 8);
/** NodeFileSystem's writeAsyncBytesMin: commits this large that fit in the active segment go to the thread pool. */
const BIG_BATCH_BYTES = new NodeFileSystem().writeAsyncBytesMin;
const KEEP = process.env.WAL_CRASH_KEEP === '1';
/**
 * An append rejected on this healthy disk is a WAL bug and fails the test;
 * WAL_CRASH_ALLOW_REJECTS=1 only counts them (to look for other problems).
 */
const ALLOW_REJECTS = process.env.WAL_CRASH_ALLOW_REJECTS === '1';
/** Problems listed in a failure message, at most. */
const SHOWN = 25;

interface Ready {
  readonly nextSeq: number;
  readonly lastSeq: number;
  readonly corruptions: RecoveryReport['corruptions'];
  readonly tornTails: RecoveryReport['tornTails'];
  readonly sealedOnOpen: readonly string[];
  readonly removedFiles: readonly string[];
}

interface Rejection {
  /** `<error code>/<cause code>` */
  readonly what: string;
  readonly ids: readonly string[];
}

interface ChildResult {
  /** seq -> id, from the lines received in full. */
  readonly acks: Map<number, string>;
  /** Appends the WAL rejected. */
  readonly rejections: readonly Rejection[];
  readonly ready: Ready | undefined;
  readonly lines: number;
  readonly partialTail: string;
  readonly problems: string[];
  readonly stderr: string;
  /** From go to the end of the child. */
  readonly ms: number;
  /** From go to the child's `R` (module loading not hidden + WAL open), if it came. */
  readonly openMs: number | undefined;
  /** Acknowledged `appendBatch` calls of at least BIG_BATCH_BYTES (their group commit was written on the thread pool when it fit in the segment). */
  readonly bigBatchAcks: number;
}

interface KillPlan {
  /** Start the delay when the child is about to open (`O`), has opened (`R`), or got its first ack. */
  readonly after: 'O' | 'R' | 'ack';
  readonly delayMs: number;
}

interface ChildArgs {
  readonly dir: string;
  readonly round: number;
  readonly seed: number;
  readonly segmentBytes: number;
  readonly preallocate: PreallocateMode;
  readonly batchMax: number;
  readonly kill: KillPlan;
}

interface ChildRun {
  /** Lets the child open the WAL and start appending; the kill plan starts. */
  go(): void;
  /** Kills the child without using it (a failed run's prepared next child). */
  discard(): void;
  readonly done: Promise<ChildResult>;
}

/**
 * Spawns a child, which loads its modules and then waits for `go()` before
 * touching the directory; after `go()` it is killed according to the plan.
 * `done` collects the acknowledgements it reported.
 */
function startChild(a: ChildArgs): ChildRun {
  const child = spawn(
    process.execPath,
    [
      CHILD,
      '--dir',
      a.dir,
      '--round',
      String(a.round),
      '--seed',
      String(a.seed),
      '--segment-bytes',
      String(a.segmentBytes),
      '--preallocate',
      a.preallocate,
      '--batch-max',
      String(a.batchMax),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const acks = new Map<number, string>();
  const rejections: Rejection[] = [];
  const problems: string[] = [];
  let ready: Ready | undefined;
  let buffered = '';
  let lines = 0;
  let bigBatchAcks = 0;
  let stderr = '';
  let started = 0;
  let openMs: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let killedByPlan = false;
  let watchdogFired = false;
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  const armKill = (): void => {
    killTimer ??= setTimeout(() => {
      killedByPlan = true;
      kill();
    }, a.kill.delayMs);
  };

  const ack = (seq: number, id: string, line: string): void => {
    if (!Number.isSafeInteger(seq) || seq < 1 || parseId(id) === undefined) {
      problems.push(`malformed ack line ${JSON.stringify(line)}`);
      return;
    }
    const prev = acks.get(seq);
    if (prev !== undefined) problems.push(`seq ${seq} acknowledged twice: ${prev} and ${id}`);
    acks.set(seq, id);
  };
  const onLine = (line: string): void => {
    lines++;
    const kind = line[0];
    if (kind === 'O') {
      if (a.kill.after === 'O') armKill();
    } else if (kind === 'R') {
      ready = JSON.parse(line.slice(2)) as Ready;
      openMs = Date.now() - started;
      if (a.kill.after === 'R') armKill();
    } else if (kind === 'A' || kind === 'S') {
      if (a.kill.after === 'ack') armKill();
      const [, seq, id] = line.split(' ');
      ack(Number(seq), id ?? '', line);
    } else if (kind === 'B') {
      if (a.kill.after === 'ack') armKill();
      const [, first, ...ids] = line.split(' ');
      if (ids.length === 0) problems.push(`malformed batch line ${JSON.stringify(line)}`);
      ids.forEach((id, i) => ack(Number(first) + i, id, line));
      let bytes = 0;
      for (const id of ids) bytes += payloadFor(id).length;
      if (bytes >= BIG_BATCH_BYTES) bigBatchAcks++;
    } else if (kind === 'F') {
      const [, what, ...ids] = line.split(' ');
      if (ids.length === 0 || ids.some((id) => parseId(id) === undefined))
        problems.push(`malformed rejection line ${JSON.stringify(line)}`);
      rejections.push({ what: what ?? '', ids });
    } else {
      problems.push(`unexpected line from child: ${JSON.stringify(line.slice(0, 200))}`);
    }
  };
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  child.stdin.on('error', () => undefined); // EPIPE if the child died early: reported through 'close'
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    // 'close' comes after the exit AND the end of stdout/stderr: every line the child wrote has been read.
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      clearTimeout(killTimer);
      if (watchdogFired) problems.push(`child did not report opening the WAL within 20 s`);
      else if (!killedByPlan || signal !== 'SIGKILL')
        problems.push(`child ended on its own (code ${code}, signal ${signal}) before the kill`);
      // `buffered` now holds an incomplete last line, if the kill cut one: it claims nothing.
      resolve({
        acks,
        rejections,
        ready,
        lines,
        partialTail: buffered,
        problems,
        stderr,
        ms: Date.now() - started,
        openMs,
        bigBatchAcks,
      });
    });
  });
  return {
    go: () => {
      started = Date.now();
      watchdog = setTimeout(() => {
        watchdogFired = true;
        kill();
      }, 20_000);
      child.stdin.end('go\n');
    },
    discard: kill,
    done,
  };
}

interface LogCheck {
  readonly lastSeq: number;
  /** Records in the log (from the recovery report). */
  readonly records: number;
  /** Records read by this check. */
  readonly read: number;
}

/** What a check accumulates while it walks the log in seq order. */
interface WalkState {
  /** Last counter seen per `<round>:<client>`. */
  readonly clients: Map<string, number>;
  readonly seenIds: Set<string>;
  lastRound: number;
}

const freshState = (): WalkState => ({ clients: new Map(), seenIds: new Set(), lastRound: -1 });

/**
 * What the parent knows across rounds: for each seq, the id acknowledged or
 * seen there, and whether it was acknowledged.
 *
 * Checking the whole log after every kill would make the test quadratic in
 * the log size, so most checks are incremental: they re-read from the start
 * of the segment holding the last record verified before (the only segment
 * a recovery may touch), re-check the identity and bytes of those records
 * and fully check the new ones, continuing the walk state (client counters,
 * ids seen) of the previous check; the records before are covered by the
 * recovery report (no corruption, record count equal to the last seq). A
 * full check re-walks everything from seq 1 with fresh state.
 */
class Model {
  readonly idAt: (string | undefined)[] = [];
  readonly acked = new Set<number>();
  /** Ids whose append was rejected: never acknowledged, may or may not be in the log. */
  readonly rejected = new Set<string>();
  /** Where rejected ids were found in the log. */
  readonly rejectedFoundAt = new Map<string, number>();
  /** Highest seq known (acknowledged or seen). */
  maxKnown = 0;
  maxAcked = 0;
  /** The last seq found by the latest check (the next child must continue after it). */
  lastSeq = 0;
  /** Records 1..verifiedTo were fully checked; `state` is the walk state after them. */
  verifiedTo = 0;
  private state = freshState();

  addAcks(acks: Map<number, string>, problems: string[]): void {
    for (const [seq, id] of acks) {
      const known = this.idAt[seq];
      if (known !== undefined && known !== id) {
        problems.push(
          `seq ${seq} acknowledged for ${id}, but it held ${known} (${this.acked.has(seq) ? 'acknowledged' : 'seen'}) before`,
        );
      }
      this.idAt[seq] = id;
      this.acked.add(seq);
      this.maxKnown = Math.max(this.maxKnown, seq);
      this.maxAcked = Math.max(this.maxAcked, seq);
    }
  }

  /** ", of which N ACKNOWLEDGED (seq=id, ...)" for the acknowledged seqs in [from, to]. */
  private ackedIn(from: number, to: number): string {
    const hit: string[] = [];
    for (let s = from; s <= to; s++) if (this.acked.has(s)) hit.push(`${s}=${this.idAt[s]}`);
    return hit.length === 0 ? '' : `, of which ${hit.length} ACKNOWLEDGED: ${hit.slice(0, 10).join(', ')}`;
  }

  /** First seq an incremental check must re-read: the start of the segment holding `verifiedTo`. */
  resumeSeq(dir: string): number {
    let from = 1;
    for (const name of fs.readdirSync(dir)) {
      const m = /^(\d{20})\.wal$/.exec(name);
      const first = m ? Number(m[1]) : 0;
      if (first > from && first <= this.verifiedTo) from = first;
    }
    return from;
  }

  /** Checks the log against everything known; records what it saw. */
  check(
    label: string,
    round: number,
    full: boolean,
    fromSeq: number,
    records: (opts: ReadOptions) => Iterable<WalRecord>,
    report: RecoveryReport,
    problems: string[],
  ): LogCheck {
    const p = (m: string): void => {
      problems.push(`${label}: ${m}`);
    };
    if (report.corruptions.length > 0)
      p(`recovery reports corruption: ${JSON.stringify(report.corruptions)}`);
    if (report.firstSeq !== 1) p(`log starts at seq ${report.firstSeq}, expected 1`);
    if (report.records !== report.lastSeq)
      p(`recovery counts ${report.records} records, but the last seq is ${report.lastSeq}`);
    const start = full ? 1 : fromSeq;
    const done = full ? 0 : this.verifiedTo;
    const state = full ? freshState() : this.state;
    const damage: ReadDamage[] = [];
    let expectSeq = start;
    let read = 0;
    for (const r of records({ fromSeq: start, onDamage: (d) => damage.push(d) })) {
      read++;
      if (r.seq !== expectSeq) {
        p(
          r.seq > expectSeq
            ? `gap: seq ${r.seq} follows ${expectSeq - 1} (missing ${expectSeq}..${r.seq - 1}${this.ackedIn(expectSeq, r.seq - 1)})`
            : `duplicate or out of order: seq ${r.seq} follows ${expectSeq - 1}`,
        );
      }
      expectSeq = Math.max(expectSeq, r.seq + 1);
      if (r.type !== 1) p(`seq ${r.seq} has frame type ${r.type}`);
      const parsed = idOfPayload(r.payload);
      const known = this.idAt[r.seq];
      const ackedNote = this.acked.has(r.seq) ? ' (ACKNOWLEDGED)' : '';
      if (parsed === undefined) {
        p(
          `seq ${r.seq} is not a whole payload (${r.payload.length} bytes, starts ` +
            `${JSON.stringify(r.payload.subarray(0, 40).toString('latin1'))})` +
            (known !== undefined ? `; expected ${known}${ackedNote}` : ''),
        );
        continue;
      }
      const { id } = parsed;
      if (!r.payload.equals(payloadFor(id))) {
        p(
          `seq ${r.seq} claims ${id} but its payload is not byte-exact (${r.payload.length} bytes)${ackedNote}`,
        );
      }
      if (known !== undefined && known !== id) {
        p(
          this.acked.has(r.seq)
            ? `ACKNOWLEDGED seq ${r.seq} should hold ${known}, holds ${id}`
            : `seq ${r.seq} held ${known} at an earlier check, now holds ${id}`,
        );
      }
      if (known === undefined) {
        this.idAt[r.seq] = id;
        this.maxKnown = Math.max(this.maxKnown, r.seq);
      }
      if (this.rejected.has(id)) this.rejectedFoundAt.set(id, r.seq);
      if (r.seq <= done) continue; // walked by an earlier check: its state is in `state` already
      if (state.seenIds.has(id)) p(`payload ${id} appears twice (again at seq ${r.seq})`);
      state.seenIds.add(id);
      if (parsed.round > round) p(`seq ${r.seq} holds ${id} from a future round`);
      if (parsed.round < state.lastRound)
        p(`seq ${r.seq} holds ${id} after records of round ${state.lastRound}`);
      state.lastRound = Math.max(state.lastRound, parsed.round);
      const key = `${parsed.round}:${parsed.client}`;
      const prev = state.clients.get(key);
      let want = prev === undefined ? 0 : prev + 1;
      while (want < parsed.counter && this.rejected.has(`${key}:${want}`)) want++;
      if (parsed.counter !== want) {
        p(
          `client ${key}: seq ${r.seq} holds counter ${parsed.counter}, expected ${want} (record n+1 is ` +
            `appended only after n was acknowledged: ${want < parsed.counter ? 'an acknowledged record is missing' : 'duplicate'})`,
        );
      }
      state.clients.set(key, parsed.counter);
    }
    for (const d of damage) p(`reader damage: ${JSON.stringify(d)}`);
    const lastSeq = expectSeq - 1;
    if (report.lastSeq !== lastSeq) p(`recovery says lastSeq ${report.lastSeq}, records end at ${lastSeq}`);
    if (this.maxKnown > lastSeq) {
      const lostAcked: number[] = [];
      const lostSeen: number[] = [];
      for (let s = lastSeq + 1; s <= this.maxKnown; s++) {
        if (this.acked.has(s)) lostAcked.push(s);
        else if (this.idAt[s] !== undefined) lostSeen.push(s);
      }
      if (lostAcked.length > 0) {
        p(
          `LOST ${lostAcked.length} ACKNOWLEDGED records (log ends at ${lastSeq}): ` +
            lostAcked
              .slice(0, 10)
              .map((s) => `${s}=${this.idAt[s]}`)
              .join(', '),
        );
      }
      if (lostSeen.length > 0) {
        p(
          `${lostSeen.length} records seen at an earlier check vanished: seqs ${lostSeen.slice(0, 10).join(', ')}`,
        );
      }
    }
    this.state = state;
    this.verifiedTo = Math.max(lastSeq, done);
    this.lastSeq = lastSeq;
    return { lastSeq, records: report.records, read };
  }
}

interface Config {
  readonly name: string;
  readonly rounds: number;
  readonly segmentBytes: (round: number) => number;
  readonly preallocate: (round: number) => PreallocateMode;
  /** The child's largest `appendBatch` (records; default 24). */
  readonly batchMax?: number;
  readonly delayMs: [number, number];
  /** What the kill delay counts from (except early kills). */
  readonly killAfter: 'R' | 'ack';
  /** Every `writeOpenEvery` rounds (and at the last), also check through `Wal.open`. */
  readonly writeOpenEvery: number;
  /** Every `fullCheckEvery` rounds (and at the last), check the whole log instead of what is new. */
  readonly fullCheckEvery: number;
  /** Every `earlyKillEvery` rounds the kill comes 0..4 ms after the child starts opening the WAL. */
  readonly earlyKillEvery: number;
  /** Mixed into SEED so each configuration has its own random choices. */
  readonly seedSalt: number;
}

interface Totals {
  rounds: number;
  acks: number;
  records: number;
  recordsRead: number;
  logBytes: number;
  childMs: number;
  openMs: number;
  checkMs: number;
  tornTails: number;
  sealedOnOpen: number;
  earlyKills: number;
  rejections: number;
  /** Early kills that came before the child reported the WAL open. */
  killsDuringOpen: number;
  bigBatchAcks: number;
}

async function crashRounds(cfg: Config, seed: number): Promise<Totals> {
  const rnd = prng((seed ^ cfg.seedSalt) >>> 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wal-crash-${cfg.name}-`));
  const model = new Model();
  const totals: Totals = {
    rounds: 0,
    acks: 0,
    records: 0,
    recordsRead: 0,
    logBytes: 0,
    childMs: 0,
    openMs: 0,
    checkMs: 0,
    tornTails: 0,
    sealedOnOpen: 0,
    earlyKills: 0,
    rejections: 0,
    killsDuringOpen: 0,
    bigBatchAcks: 0,
  };
  let failed = true;
  let lastFullRound = -1;
  let pending: ChildRun | undefined;
  try {
    const plan = (round: number): ChildArgs => {
      const [lo, hi] = cfg.delayMs;
      const early = cfg.earlyKillEvery > 0 && round % cfg.earlyKillEvery === cfg.earlyKillEvery - 1;
      const kill: KillPlan = early
        ? { after: 'O', delayMs: Math.floor(rnd() * 5) }
        : { after: cfg.killAfter, delayMs: lo + Math.floor(rnd() * (hi - lo + 1)) };
      return {
        dir,
        round,
        seed: Math.floor(rnd() * 2 ** 32),
        segmentBytes: cfg.segmentBytes(round),
        preallocate: cfg.preallocate(round),
        batchMax: cfg.batchMax ?? 24,
        kill,
      };
    };
    let nextArgs = plan(0);
    let nextChild: ChildRun | undefined = startChild(nextArgs);
    for (let round = 0; round < cfg.rounds; round++) {
      const args = nextArgs;
      const current = nextChild as ChildRun;
      const { kill, segmentBytes, preallocate, seed: childSeed } = args;
      const early = kill.after === 'O';
      current.go();
      // The next child loads its modules while this one runs and this round is checked; it touches the
      // directory only at its go().
      nextChild = undefined;
      if (round + 1 < cfg.rounds) {
        nextArgs = plan(round + 1);
        nextChild = startChild(nextArgs);
        pending = nextChild;
      }
      const run = await current.done;
      const problems = [...run.problems];
      const t0 = Date.now();
      if (run.ready) {
        if (run.ready.corruptions.length > 0)
          problems.push(
            `child's write-mode recovery reports corruption: ${JSON.stringify(run.ready.corruptions)}`,
          );
        if (run.ready.nextSeq !== model.lastSeq + 1)
          problems.push(
            `child resumed at seq ${run.ready.nextSeq}, but the log ended at ${model.lastSeq} after the previous round`,
          );
        totals.tornTails += run.ready.tornTails.length;
        totals.sealedOnOpen += run.ready.sealedOnOpen.length;
        for (const seq of run.acks.keys()) {
          if (seq < run.ready.nextSeq)
            problems.push(`child acknowledged seq ${seq}, below its nextSeq ${run.ready.nextSeq}`);
        }
      } else if (!early) {
        problems.push('child never reported that it opened the WAL');
      }
      if (early) totals.earlyKills++;
      if (early && !run.ready) totals.killsDuringOpen++;
      const lastRound = round === cfg.rounds - 1;
      model.addAcks(run.acks, problems);
      for (const r of run.rejections) {
        for (const id of r.ids) model.rejected.add(id);
        totals.rejections += r.ids.length;
      }

      const full = (round + 1) % cfg.fullCheckEvery === 0 || lastRound;
      const resumeFrom = model.resumeSeq(dir);
      const ro = openWalReadOnly({ dir });
      const checked = model.check(
        full
          ? `read-only, whole log (damage to records before seq ${resumeFrom} may date from any round since ` +
              `${lastFullRound < 0 ? 'the start' : `the full check of round ${lastFullRound}`})`
          : 'read-only',
        round,
        full,
        resumeFrom,
        (o) => ro.reader.records(o),
        ro.report,
        problems,
      );
      totals.recordsRead += checked.read;
      if (full) lastFullRound = round;
      if ((round + 1) % cfg.writeOpenEvery === 0 || lastRound) {
        // Write-mode recovery (torn tail cut, newest segment sealed, stale lock taken over), then the same checks.
        try {
          const wal = Wal.open({ dir, segmentBytesMax: segmentBytes, payloadBytesMax: PAYLOAD_BYTES_MAX });
          try {
            const w = model.check(
              'Wal.open',
              round,
              false,
              model.resumeSeq(dir),
              (o) => wal.read(o),
              wal.recovery,
              problems,
            );
            totals.recordsRead += w.read;
            if (wal.status().nextSeq !== checked.lastSeq + 1)
              problems.push(
                `Wal.open: nextSeq ${wal.status().nextSeq}, read-only check ended at ${checked.lastSeq}`,
              );
          } finally {
            await wal.close();
          }
        } catch (err) {
          problems.push(`Wal.open failed: ${String(err)}`);
        }
      }
      if (!ALLOW_REJECTS && run.rejections.length > 0) {
        const where = (id: string): string => {
          const seq = model.rejectedFoundAt.get(id);
          return seq === undefined ? `${id} (not in the log)` : `${id} (in the log at seq ${seq})`;
        };
        problems.push(
          `the WAL rejected ${run.rejections.length} appends on a healthy disk (WAL_CRASH_ALLOW_REJECTS=1 tolerates this): ` +
            run.rejections.map((r) => `${r.what}: ${r.ids.map(where).join(', ')}`).join('; '),
        );
      }
      totals.checkMs += Date.now() - t0;
      totals.childMs += run.ms;
      totals.openMs += run.openMs ?? 0;
      totals.bigBatchAcks += run.bigBatchAcks;
      totals.rounds++;
      totals.acks = model.acked.size;
      totals.records = checked.records;
      if (problems.length > 0) {
        throw new Error(
          [
            `WAL crash test "${cfg.name}" failed in round ${round} (seed ${seed}; reproduce with WAL_CRASH_SEED=${seed}):`,
            `  kill ${kill.delayMs} ms after '${kill.after}', child seed ${childSeed}, segmentBytes ${segmentBytes}, preallocate ${preallocate}`,
            `  child: ${run.lines} lines, ${run.acks.size} acks, ready ${JSON.stringify(run.ready)}, partial tail ${JSON.stringify(run.partialTail.slice(0, 80))}`,
            `  log: ${checked.records} records, lastSeq ${checked.lastSeq}; acknowledged so far ${model.acked.size}, highest ${model.maxAcked}`,
            ...problems.slice(0, SHOWN).map((m) => `  - ${m}`),
            ...(problems.length > SHOWN ? [`  ... and ${problems.length - SHOWN} more`] : []),
            ...(run.stderr ? [`  child stderr: ${run.stderr.slice(-2000)}`] : []),
            ...(KEEP ? [`  directory kept: ${dir}`] : []),
          ].join('\n'),
        );
      }
    }
    failed = false;
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith('.wal')) totals.logBytes += fs.statSync(path.join(dir, name)).size;
    }
    return totals;
  } finally {
    if (failed && pending) {
      pending.discard();
      await pending.done;
    }
    if (!(failed && KEEP)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function summary(name: string, t: Totals, ms: number): string {
  return (
    `wal-crash ${name}: ${t.rounds} rounds in ${ms} ms (children ${t.childMs} ms of which ${t.openMs} ms until opened, checks ${t.checkMs} ms), ` +
    `${t.acks} acks, ${t.records} records / ${(t.logBytes / 1e6).toFixed(1)} MB in the log, ${t.recordsRead} records read by checks, ` +
    `${t.tornTails} torn tails and ${t.sealedOnOpen} segments sealed at reopen, ` +
    `${t.earlyKills} early kills (${t.killsDuringOpen} before the WAL was open), ${t.rejections} rejected appends, ` +
    `${t.bigBatchAcks} acknowledged batches of ${BIG_BATCH_BYTES / 1024}+ KiB`
  );
}

/** Runs `cfg`'s rounds with SEED, logs their summary, and checks every round ran; returns the totals. */
async function checkedCrashRounds(cfg: Config): Promise<Totals> {
  const t0 = Date.now();
  const totals = await crashRounds(cfg, SEED);
  console.log(summary(cfg.name, totals, Date.now() - t0));
  expect(totals.rounds).toBe(cfg.rounds);
  return totals;
}

describe('WAL survives kill -9 of the writing process', () => {
  console.log(
    `wal-crash: seed ${SEED} (WAL_CRASH_SEED=${SEED} to reproduce), ${ROUNDS} rounds + ${ROLLOVER_ROUNDS} rollover rounds`,
  );

  it(
    `keeps every acknowledged record across ${ROUNDS} kill -9 rounds on one directory`,
    async () => {
      const totals = await checkedCrashRounds({
        name: 'main',
        rounds: ROUNDS,
        segmentBytes: () => 256 * 1024,
        preallocate: () => 'auto',
        delayMs: [20, 200],
        killAfter: 'R',
        writeOpenEvery: 5,
        fullCheckEvery: 20,
        earlyKillEvery: 8,
        seedSalt: 0,
      });
      if (ROUNDS > 0) expect(totals.acks).toBeGreaterThan(0);
    },
    10_000 + ROUNDS * 1_000,
  );

  it(
    'keeps every acknowledged record when killed during rollover-heavy load (8 KiB segments)',
    async () => {
      const modes: PreallocateMode[] = ['auto', 'background', 'inline', 'off'];
      await checkedCrashRounds({
        name: 'rollover',
        rounds: ROLLOVER_ROUNDS,
        segmentBytes: () => 8 * 1024,
        preallocate: (round) => modes[round % modes.length] as PreallocateMode,
        delayMs: [30, 150],
        // from the first ack: the load (and its rollovers) is running even on a slow machine
        killAfter: 'ack',
        writeOpenEvery: 3,
        fullCheckEvery: 3,
        earlyKillEvery: 0,
        seedSalt: 0x9e3779b9,
      });
    },
    5_000 + ROLLOVER_ROUNDS * 1_000,
  );

  it(
    'keeps every acknowledged record when killed while group commits are written on the thread pool (128 KiB+ commits, strict appends between)',
    async () => {
      const modes: PreallocateMode[] = ['auto', 'off', 'background', 'inline'];
      const totals = await checkedCrashRounds({
        name: 'large-commits',
        rounds: LARGE_COMMIT_ROUNDS,
        // Large enough that most commits fit in the active segment (the thread-pool path), small enough
        // that some roll over (the synchronous path, sealing after a strict append's rewrite).
        segmentBytes: () => 4 * 1024 * 1024,
        preallocate: (round) => modes[round % modes.length] as PreallocateMode,
        batchMax: 400,
        delayMs: [60, 300],
        killAfter: 'ack',
        writeOpenEvery: 2,
        fullCheckEvery: 2,
        earlyKillEvery: 0,
        seedSalt: 0x85ebca6b,
      });
      // The load did make commits of the thread-pool size (a batch alone is one).
      if (LARGE_COMMIT_ROUNDS > 0) expect(totals.bigBatchAcks).toBeGreaterThan(0);
    },
    5_000 + LARGE_COMMIT_ROUNDS * 2_000,
  );
});
