/**
 * Kill9DuringWrite (library), a real-process scenario: a child process
 * appends to a WAL on the real file system with durable acknowledgements and
 * reports every acknowledgement on stdout; the scenario kills it with SIGKILL
 * at a seeded random moment, checks the directory, lets a second child
 * recover it and append more, kills that one too, and checks again, last
 * through a write-mode `Wal.open`.
 *
 * One iteration (everything drawn from `ctx.seed`) runs in `ctx.workDir/wal`
 * in one of two modes:
 * - `wal`: the WAL library itself, through the existing crash child
 *   (test/fixtures/walCrashChild.ts, run by torture/fixtures/walCrashLauncher.ts):
 *   concurrent `append`, `appendBatch` and `appendSync` loops, raw payloads
 *   that encode their own identity (test/fixtures/walCrashPayload.ts), random
 *   segment size (8 KiB = rollover-heavy, 64 KiB, 256 KiB) and preallocation
 *   mode;
 * - `chain`: `createAuditLogging` with `audit_chain` + `audit_sign` (EdDSA,
 *   checkpoints every 1..50 records, published to a directory, sometimes
 *   signing every record, sometimes `durability: strict`), through
 *   torture/fixtures/chainCrashChild.ts: `audit.write` loops and SDK
 *   `emit` + `forceFlush` loops.
 *
 * The oracle, after every kill: the shared one (torture/oracle.ts: the WAL
 * reopens; no corruption reported by recovery or met by the reader — a
 * kill -9 keeps the page cache: at most a torn tail, never damage; sequence
 * numbers 1..lastSeq without gap or repeat; every acknowledged record at its
 * seq, byte-exact; every record whole — its payload / body regenerates from
 * the id it names — and present once; with the chain, `verifyWal` finds no
 * issue), plus what only the parent of these children knows (PayloadLogOracle,
 * ChainLogOracle below):
 * - the next child's write-mode recovery reports no corruption either, and
 *   it resumes at lastSeq + 1; so does the final `Wal.open`;
 * - `chain` mode: every acknowledged id is present (acknowledgements are by
 *   id there); `verifyWal` (public key + published checkpoints) counts the
 *   same records;
 * - a record seen by an earlier check never vanishes or moves;
 * - each client's records are in order with no gap (a client appends n+1
 *   only after n was acknowledged), so an acknowledgement the child got but
 *   had no time to print is covered too;
 * - no append is rejected (the disk is healthy).
 *
 * Speed: the children are spawned before they are needed (spares per mode,
 * kept across iterations) and load their modules while the previous child
 * runs and is checked; a child learns its directory and seed from a line on
 * stdin (torture/fixtures/readArgsLine.ts). The kill moment is seeded but the
 * amount of work a child gets done before it is not: a failure is reproduced
 * with the same seed, its exact interleaving may need a few tries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, type GeneratedKeyPair } from '../../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../../src/integrity/sign/KeyRing.ts';
import { verifyWal } from '../../src/integrity/verify/verifyWal.ts';
import type { VerifyReport } from '../../src/integrity/verify/VerifyReport.ts';
import { decodeRecord } from '../../src/record/walCodec.ts';
import { FrameType } from '../../src/wal/format.ts';
import { openWalReadOnly } from '../../src/wal/readOnly.ts';
import type { RecoveryReport } from '../../src/wal/recover.ts';
import { Wal } from '../../src/wal/Wal.ts';
import type { ReadDamage, ReadOptions, WalRecord } from '../../src/wal/WalReader.ts';
import {
  idOfPayload,
  parseId,
  PAYLOAD_BYTES_MAX,
  payloadFor,
  payloadText,
  prng,
} from '../../test/fixtures/walCrashPayload.ts';
import {
  CHAIN_PAYLOAD_BYTES_MAX,
  CHAIN_STREAM_ID,
  type ChainChildArgs,
} from '../fixtures/chainChildProtocol.ts';
import type { Attempt, LedgerView } from '../ledger.ts';
import { checkWal, type Observation } from '../oracle.ts';
import type { IterationContext, IterationResult, Scenario } from '../Scenario.ts';

/** Kills (child processes) per iteration: the first on a fresh directory, the next after a recovery. */
export const ROUNDS_PER_ITERATION = 2;
/** Violations kept per iteration (the count of the rest is added). */
export const VIOLATIONS_SHOWN = 40;
const CHILD_WATCHDOG_MS = 20_000;

const FIXTURE = {
  wal: fileURLToPath(new URL('../fixtures/walCrashLauncher.ts', import.meta.url)),
  chain: fileURLToPath(new URL('../fixtures/chainCrashChild.ts', import.meta.url)),
} as const;
type Mode = keyof typeof FIXTURE;

// ---------------------------------------------------------------- shared helpers

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Collects violations, keeping the first `VIOLATIONS_SHOWN` and counting the rest. */
export class Violations {
  readonly list: string[] = [];
  private omitted = 0;

  add(message: string): void {
    if (this.list.length < VIOLATIONS_SHOWN) this.list.push(message);
    else this.omitted++;
  }

  get count(): number {
    return this.list.length + this.omitted;
  }

  result(): string[] {
    return this.omitted === 0 ? [...this.list] : [...this.list, `... and ${this.omitted} more violations`];
  }
}

const pick = (rnd: () => number, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const choose = <T>(rnd: () => number, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;

// ---------------------------------------------------------------- oracle

/** What one check reads from a reopened WAL. */
export interface WalView {
  /** Every frame (all types but footers), in read order. */
  readonly records: readonly WalRecord[];
  readonly damage: readonly ReadDamage[];
  readonly recovery: RecoveryReport;
}

export function readView(read: (o: ReadOptions) => Iterable<WalRecord>, recovery: RecoveryReport): WalView {
  const damage: ReadDamage[] = [];
  const records = [...read({ onDamage: (d) => damage.push(d) })];
  return { records, damage, recovery };
}

/**
 * A `LedgerView` for the shared oracle (torture/oracle.ts) when the writer
 * is another process (or a remote client) whose call order across its
 * concurrent loops is not known here: a record is identified by the id it
 * names and is whole only if its bytes regenerate from that id; attempts are
 * numbered in the order the check first meets them (so the oracle's
 * call-order check is vacuous: per-client order is checked by ClientOrder
 * instead). `everyOccurrenceNew`: delivery is at least once (serve), so a
 * record found twice is two attempts, not a duplicate.
 */
export class IdLedger implements LedgerView {
  readonly acknowledged: Map<number, Uint8Array>;
  private readonly idOf: (payload: Uint8Array) => string | undefined;
  private readonly everyOccurrenceNew: boolean;
  private readonly attempts = new Map<string, Attempt>();
  private next = 0;

  constructor(
    idOf: (payload: Uint8Array) => string | undefined,
    acknowledged: Map<number, Uint8Array> = new Map(),
    everyOccurrenceNew = false,
  ) {
    this.idOf = idOf;
    this.acknowledged = acknowledged;
    this.everyOccurrenceNew = everyOccurrenceNew;
  }

  identify(payload: Uint8Array): Attempt | undefined {
    const id = this.idOf(payload);
    if (id === undefined) return undefined;
    if (this.everyOccurrenceNew) return { order: this.next++, payload };
    let a = this.attempts.get(id);
    if (!a) {
      a = { order: this.next++, payload };
      this.attempts.set(id, a);
    }
    return a;
  }
}

/** The id a raw payload names, if its bytes are exactly `payloadFor(id)`. */
export function idOfWholePayload(payload: Uint8Array): string | undefined {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const parsed = idOfPayload(buf);
  return parsed && buf.equals(payloadFor(parsed.id)) ? parsed.id : undefined;
}

/** The id an encoded AuditRecord's body names, if the body is exactly `payloadText(id)`. */
export function idOfWholeRecord(payload: Uint8Array): string | undefined {
  let body: unknown;
  try {
    body = decodeRecord(payload).body;
  } catch {
    return undefined;
  }
  if (typeof body !== 'string') return undefined;
  const parsed = idOfPayload(Buffer.from(body, 'latin1'));
  return parsed && body === payloadText(parsed.id) ? parsed.id : undefined;
}

/** Runs the shared oracle (torture/oracle.ts) on a view; its violations are tagged `[oracle]`. */
export function sharedOracle(
  where: string,
  view: WalView,
  ledger: LedgerView,
  v: Violations,
  verify?: VerifyReport,
): void {
  const observation: Observation = {
    records: view.records,
    recovery: view.recovery,
    readDamage: view.damage.map((d) => `${d.segment} at offset ${d.offset}: ${d.reason}`),
    ...(verify ? { verify } : {}),
  };
  for (const m of checkWal({ where: `${where} [oracle]`, ledger, observation })) v.add(m);
}

/** Per client (`<round>:<client>`): the next counter expected, skipping rejected ids that are absent. */
export class ClientOrder {
  private readonly last = new Map<string, number>();
  private readonly rejected: ReadonlySet<string>;

  constructor(rejected: ReadonlySet<string>) {
    this.rejected = rejected;
  }

  /** Returns a violation, or undefined when `counter` is the client's next record. */
  next(key: string, counter: number, where: string): string | undefined {
    const prev = this.last.get(key);
    let want = prev === undefined ? 0 : prev + 1;
    while (want < counter && this.rejected.has(`${key}:${want}`)) want++;
    this.last.set(key, counter);
    if (counter === want) return undefined;
    return (
      `client ${key}: ${where} holds counter ${counter}, expected ${want} (record n+1 is appended only ` +
      `after n was acknowledged: ${want < counter ? 'an acknowledged record is missing' : 'duplicate or out of order'})`
    );
  }
}

/**
 * The checks for a WAL of self-describing payloads (walCrashPayload.ts), on
 * top of the shared oracle: what was acknowledged at which seq, what was
 * rejected, what earlier checks saw. `check` runs the shared oracle (no
 * corruption, no gap, every acknowledged record at its seq byte-exact, every
 * record whole and once) and adds what it cannot know: each client's records
 * are in order without gaps (skipping its rejected appends), records of a
 * later round never precede an earlier round's, a record seen by an earlier
 * check never vanishes or changes, and the recovery report's counts agree.
 */
export class PayloadLogOracle {
  private readonly idAt: (string | undefined)[] = [];
  private readonly acked = new Set<number>();
  readonly rejected = new Set<string>();
  /** Rejected ids found in the log (whole): allowed, counted for the report. */
  readonly rejectedFound = new Set<string>();
  /** Last seq of the latest check. */
  lastSeq = 0;
  private maxKnown = 0;

  get acknowledged(): number {
    return this.acked.size;
  }

  ack(seq: number, id: string, v: Violations): void {
    if (!Number.isSafeInteger(seq) || seq < 1 || parseId(id) === undefined) {
      v.add(`malformed acknowledgement: seq ${seq} id ${JSON.stringify(id)}`);
      return;
    }
    const known = this.idAt[seq];
    if (this.acked.has(seq)) v.add(`seq ${seq} acknowledged twice: ${known} and ${id}`);
    else if (known !== undefined && known !== id)
      v.add(`seq ${seq} acknowledged for ${id}, but an earlier check saw ${known} there`);
    this.idAt[seq] = id;
    this.acked.add(seq);
    this.maxKnown = Math.max(this.maxKnown, seq);
  }

  reject(ids: readonly string[]): void {
    for (const id of ids) this.rejected.add(id);
  }

  /** [seq, id] of every acknowledged record. */
  *ackedEntries(): Iterable<[number, string]> {
    for (const seq of this.acked) yield [seq, this.idAt[seq] as string];
  }

  /** Checks a view; `maxRound` bounds the rounds ids may come from. Returns the last seq. */
  check(label: string, view: WalView, maxRound: number, v: Violations): number {
    const acknowledged = new Map<number, Uint8Array>();
    for (const [seq, id] of this.ackedEntries()) acknowledged.set(seq, payloadFor(id));
    sharedOracle(label, view, new IdLedger(idOfWholePayload, acknowledged), v);
    const p = (m: string): void => v.add(`${label}: ${m}`);
    const report = view.recovery;
    if (report.records !== report.lastSeq)
      p(`recovery counts ${report.records} records, but the last seq is ${report.lastSeq}`);
    const order = new ClientOrder(this.rejected);
    let lastSeq = 0;
    let lastRound = -1;
    for (const r of view.records) {
      lastSeq = Math.max(lastSeq, r.seq);
      const id = idOfWholePayload(r.payload);
      if (id === undefined) continue; // the shared oracle names it
      const parsed = parseId(id) as NonNullable<ReturnType<typeof parseId>>;
      const known = this.idAt[r.seq];
      if (known !== undefined && known !== id && !this.acked.has(r.seq))
        p(`seq ${r.seq} held ${known} at an earlier check, now holds ${id}`);
      if (known === undefined) {
        this.idAt[r.seq] = id;
        this.maxKnown = Math.max(this.maxKnown, r.seq);
      }
      if (this.rejected.has(id)) this.rejectedFound.add(id);
      if (parsed.round > maxRound) p(`seq ${r.seq} holds ${id} from a round that has not run yet`);
      if (parsed.round < lastRound) p(`seq ${r.seq} holds ${id} after records of round ${lastRound}`);
      lastRound = Math.max(lastRound, parsed.round);
      const bad = order.next(`${parsed.round}:${parsed.client}`, parsed.counter, `seq ${r.seq}`);
      if (bad) p(bad);
    }
    if (report.lastSeq !== lastSeq) p(`recovery says lastSeq ${report.lastSeq}, records end at ${lastSeq}`);
    let vanished = 0;
    for (let s = lastSeq + 1; s <= this.maxKnown; s++)
      if (this.idAt[s] !== undefined && !this.acked.has(s)) vanished++;
    if (vanished > 0) p(`${vanished} records seen by an earlier check vanished (after seq ${lastSeq})`);
    this.lastSeq = lastSeq;
    return lastSeq;
  }
}

/**
 * The checks for the chained WAL, on top of the shared oracle: records
 * carry `payloadText(id)` as their body; the WAL seq of a record is not
 * reported to the child (the chain sequences records), so acknowledgements
 * are by id: every acknowledged id is present (once: the shared oracle),
 * each client's records in order, a record seen earlier never moves or
 * vanishes; `verifyWal` (given) must find nothing and count the same records.
 */
class ChainLogOracle {
  private readonly acked = new Set<string>();
  private readonly rejected = new Set<string>();
  /** Every id a check found, with its WAL seq. */
  private readonly seenAt = new Map<string, number>();
  lastSeq = 0;
  records = 0;

  get acknowledged(): number {
    return this.acked.size;
  }

  ack(id: string, v: Violations): void {
    if (parseId(id) === undefined) v.add(`malformed acknowledgement ${JSON.stringify(id)}`);
    else if (this.acked.has(id)) v.add(`${id} acknowledged twice`);
    this.acked.add(id);
  }

  reject(ids: readonly string[]): void {
    for (const id of ids) this.rejected.add(id);
  }

  check(label: string, view: WalView, verify: VerifyReport, maxRound: number, v: Violations): void {
    sharedOracle(label, view, new IdLedger(idOfWholeRecord), v, verify);
    const p = (m: string): void => v.add(`${label}: ${m}`);
    const report = view.recovery;
    if (report.records !== report.lastSeq)
      p(`recovery counts ${report.records} frames, but the last seq is ${report.lastSeq}`);
    const order = new ClientOrder(this.rejected);
    const found = new Map<string, number>();
    let lastSeq = 0;
    let lastRound = -1;
    let recordFrames = 0;
    for (const r of view.records) {
      lastSeq = Math.max(lastSeq, r.seq);
      if (r.type !== FrameType.RECORD) continue; // checkpoints: verifyWal
      recordFrames++;
      const id = idOfWholeRecord(r.payload);
      if (id === undefined) continue; // the shared oracle names it
      const parsed = parseId(id) as NonNullable<ReturnType<typeof parseId>>;
      const before = this.seenAt.get(id);
      if (before !== undefined && before !== r.seq)
        p(`${id} was at seq ${before} at an earlier check, now at ${r.seq}`);
      found.set(id, r.seq);
      if (parsed.round > maxRound) p(`seq ${r.seq} holds ${id} from a round that has not run yet`);
      if (parsed.round < lastRound) p(`seq ${r.seq} holds ${id} after records of round ${lastRound}`);
      lastRound = Math.max(lastRound, parsed.round);
      const bad = order.next(`${parsed.round}:${parsed.client}`, parsed.counter, `seq ${r.seq}`);
      if (bad) p(bad);
    }
    if (report.lastSeq !== lastSeq) p(`recovery says lastSeq ${report.lastSeq}, frames end at ${lastSeq}`);
    const lost = [...this.acked].filter((id) => !found.has(id));
    if (lost.length > 0)
      p(
        `LOST ${lost.length} ACKNOWLEDGED records: ${lost.slice(0, 10).join(', ')} (log ends at seq ${lastSeq})`,
      );
    const vanished = [...this.seenAt.keys()].filter((id) => !found.has(id) && !this.acked.has(id));
    if (vanished.length > 0)
      p(`${vanished.length} records seen by an earlier check vanished: ${vanished.slice(0, 10).join(', ')}`);
    for (const [id, seq] of found) this.seenAt.set(id, seq);
    if (verify.records !== recordFrames)
      p(`verifyWal counts ${verify.records} records, the log holds ${recordFrames}`);
    if (recordFrames > 0) {
      const s = verify.streams.find((x) => x.streamId === CHAIN_STREAM_ID);
      if (!s || s.records !== recordFrames)
        p(
          `verifyWal: stream ${CHAIN_STREAM_ID} has ${s?.records ?? 'no'} records, the log holds ${recordFrames}`,
        );
    }
    this.lastSeq = lastSeq;
    this.records = recordFrames;
  }
}

// ---------------------------------------------------------------- child processes

type Ref = { ref?: () => void; unref?: () => void };

/**
 * The children's environment: with Node's compile cache (NODE_COMPILE_CACHE, kept if set), which
 * halves a child's start-up CPU (~0.55 s to ~0.25 s for the chained child).
 */
export function childEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), 'node-compile-cache'),
  };
}

/**
 * A child process spawned ahead of use: it loads its modules and blocks
 * reading its argument line. Unreferenced until used, so a spare never keeps
 * the parent alive; it exits at EOF when the parent goes away.
 */
class PreparedChild {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  partialTail = '';
  stderr = '';
  exited = false;
  onLine: ((line: string) => void) | undefined;
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(file: string) {
    this.proc = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
    const { stdin, stdout, stderr } = this.proc;
    stdout?.setEncoding('latin1');
    stdout?.on('data', (chunk: string) => {
      this.partialTail += chunk;
      let nl: number;
      while ((nl = this.partialTail.indexOf('\n')) >= 0) {
        const line = this.partialTail.slice(0, nl);
        this.partialTail = this.partialTail.slice(nl + 1);
        this.lines.push(line);
        this.onLine?.(line);
      }
    });
    stderr?.setEncoding('utf8');
    stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-8000);
    });
    stdin?.on('error', () => undefined); // EPIPE if the child died: reported through 'close'
    this.closed = new Promise((resolve) => {
      this.proc.on('error', (err) => {
        this.stderr += `\nspawn failed: ${String(err)}`;
        this.exited = true;
        resolve({ code: null, signal: null });
      });
      // 'close' comes after the exit AND the end of stdout: every line written has been read.
      this.proc.on('close', (code, signal) => {
        this.exited = true;
        resolve({ code, signal });
      });
    });
    this.setRef(false);
  }

  setRef(on: boolean): void {
    for (const h of [this.proc, this.proc.stdin, this.proc.stdout, this.proc.stderr] as Ref[]) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}

/**
 * Spare children per mode, loading while the current one runs and is checked. A round takes
 * ~0.1-0.3 s; a chained child needs ~0.3-1 s to load its modules on a busy machine: several spares.
 */
const SPARES: Readonly<Record<Mode, number>> = { wal: 2, chain: 3 };
const spares: Record<Mode, PreparedChild[]> = { wal: [], chain: [] };

/** The oldest prepared child of `mode` still alive, topping the spares up again. */
function takeChild(mode: Mode): PreparedChild {
  const queue = spares[mode];
  let child = queue.shift();
  while (child?.exited) child = queue.shift();
  child ??= new PreparedChild(FIXTURE[mode]);
  while (queue.length < SPARES[mode]) queue.push(new PreparedChild(FIXTURE[mode]));
  return child;
}

/** Kills the spare children (they also exit on their own, at EOF, when this process ends). */
export async function releaseSpareChildren(): Promise<void> {
  const all = [...spares.wal, ...spares.chain];
  spares.wal = [];
  spares.chain = [];
  for (const c of all) {
    c.setRef(true);
    c.kill();
  }
  await Promise.all(all.map((c) => c.closed));
}

interface KillPlan {
  /** Start the delay when the child is about to open (`O`), has opened (`R`), or got its first ack. */
  readonly after: 'O' | 'R' | 'ack';
  readonly delayMs: number;
}

interface ChildRun {
  readonly lines: readonly string[];
  readonly partialTail: string;
  readonly stderr: string;
  /** From go to the end of the child. */
  readonly ms: number;
  readonly problems: readonly string[];
  /** Killed because the run was stopped (the budget ran out), not at the plan's point: maybe before it opened. */
  readonly killedByStop: boolean;
}

/** Starts a prepared child with its argument line, kills it with SIGKILL according to `plan`. */
async function runChild(
  child: PreparedChild,
  argLine: string,
  plan: KillPlan,
  signal: AbortSignal,
): Promise<ChildRun> {
  child.setRef(true);
  const started = Date.now();
  let killTimer: NodeJS.Timeout | undefined;
  let killedByPlan = false;
  let killedByStop = false;
  let watchdogFired = false;
  const arm = (): void => {
    killTimer ??= setTimeout(() => {
      killedByPlan = true;
      child.kill();
    }, plan.delayMs);
  };
  const onAbort = (): void => {
    killedByPlan = true;
    killedByStop = true;
    child.kill();
  };
  child.onLine = (line) => {
    const k = line[0];
    if (k === plan.after || (plan.after === 'ack' && (k === 'A' || k === 'B' || k === 'S'))) arm();
  };
  const watchdog = setTimeout(() => {
    watchdogFired = true;
    child.kill();
  }, CHILD_WATCHDOG_MS);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  child.proc.stdin?.end(`${argLine}\ngo\n`);
  const { code, signal: sig } = await child.closed;
  clearTimeout(watchdog);
  clearTimeout(killTimer);
  signal.removeEventListener('abort', onAbort);
  const problems: string[] = [];
  if (watchdogFired) problems.push(`child did not reach its kill within ${CHILD_WATCHDOG_MS} ms`);
  else if (!killedByPlan || sig !== 'SIGKILL')
    problems.push(`child ended on its own (code ${code}, signal ${sig}) before the kill`);
  if (problems.length > 0 && child.stderr) problems.push(`child stderr: ${child.stderr.slice(-1500)}`);
  return {
    lines: child.lines,
    partialTail: child.partialTail,
    stderr: child.stderr,
    ms: Date.now() - started,
    problems,
    killedByStop,
  };
}

interface Ready {
  readonly nextSeq: number;
  readonly corruptions: RecoveryReport['corruptions'];
  readonly tornTails: RecoveryReport['tornTails'];
}

// ---------------------------------------------------------------- the scenario

let keyPair: GeneratedKeyPair | undefined;
let keyRing: KeyRing | undefined;

/** One EdDSA key pair per process, for the chained scenarios, and a key ring trusting it. */
export function signingKey(): { pair: GeneratedKeyPair; ring: KeyRing } {
  if (!keyPair || !keyRing) {
    keyPair = generateKeyPair('EdDSA');
    keyRing = new KeyRing();
    keyRing.add(createPublicKey(keyPair.publicKeyPem));
  }
  return { pair: keyPair, ring: keyRing };
}

function killPlan(rnd: () => number, mode: Mode): KillPlan {
  const r = rnd();
  // Sometimes while the child opens (recovers) the WAL, else while it appends. A chained child takes
  // longer to its first acknowledgement: counting from it more often keeps most rounds acknowledging.
  if (r < 0.1) return { after: 'O', delayMs: pick(rnd, 0, 6) };
  return { after: r < (mode === 'wal' ? 0.55 : 0.35) ? 'R' : 'ack', delayMs: pick(rnd, 2, 120) };
}

async function run(ctx: IterationContext): Promise<IterationResult> {
  const rnd = prng(ctx.seed);
  const mode: Mode = rnd() < 0.5 ? 'wal' : 'chain';
  const dir = path.join(ctx.workDir, 'wal');
  const publishDir = path.join(ctx.workDir, 'published');
  const keyFile = path.join(ctx.workDir, 'signing.pem');
  const v = new Violations();
  const walOracle = new PayloadLogOracle();
  const chainOracle = new ChainLogOracle();
  const segmentBytes =
    mode === 'wal'
      ? choose(rnd, [8 * 1024, 64 * 1024, 256 * 1024])
      : choose(rnd, [32 * 1024, 64 * 1024, 256 * 1024]);
  const preallocate = choose(rnd, ['auto', 'background', 'inline', 'off'] as const);
  const chainCfg = {
    checkpointEvery: pick(rnd, 1, 50),
    perRecord: rnd() < 0.4,
    durability: rnd() < 0.25 ? ('strict' as const) : ('group_commit' as const),
  };
  fs.mkdirSync(dir, { recursive: true });
  if (mode === 'chain') fs.writeFileSync(keyFile, signingKey().pair.privateKeyPem, { mode: 0o600 });
  const metrics = {
    chained: mode === 'chain' ? 1 : 0,
    rounds: 0,
    records: 0,
    tornTails: 0,
    childMs: 0,
    checkMs: 0,
  };
  let faults = 0;

  for (let round = 0; round < ROUNDS_PER_ITERATION && !ctx.signal.aborted; round++) {
    const plan = killPlan(rnd, mode);
    const childSeed = Math.floor(rnd() * 2 ** 32);
    const argLine =
      mode === 'wal'
        ? JSON.stringify([
            '--dir',
            dir,
            '--round',
            String(round),
            '--seed',
            String(childSeed),
            '--segment-bytes',
            String(segmentBytes),
            '--preallocate',
            preallocate,
          ])
        : JSON.stringify({
            dir,
            round,
            seed: childSeed,
            keyFile,
            publishDir,
            segmentBytes,
            preallocate,
            ...chainCfg,
          } satisfies ChainChildArgs);
    const runResult = await runChild(takeChild(mode), argLine, plan, ctx.signal);
    faults++;
    metrics.rounds++;
    metrics.childMs += runResult.ms;
    const t0 = Date.now();
    const label = `round ${round} (${mode}, kill ${plan.delayMs} ms after '${plan.after}')`;
    for (const m of runResult.problems) v.add(`${label}: ${m}`);
    let ready: Ready | undefined;
    const prevLastSeq = mode === 'wal' ? walOracle.lastSeq : chainOracle.lastSeq;
    for (const line of runResult.lines) {
      const [kind, ...rest] = line.split(' ');
      if (kind === 'O') continue;
      if (kind === 'R') {
        ready = JSON.parse(line.slice(2)) as Ready;
        if (ready.corruptions.length > 0)
          v.add(
            `${label}: the child's write-mode recovery reports corruption: ${JSON.stringify(ready.corruptions)}`,
          );
        if (ready.nextSeq !== prevLastSeq + 1)
          v.add(`${label}: the child resumed at seq ${ready.nextSeq}, the log ended at ${prevLastSeq}`);
        metrics.tornTails += ready.tornTails.length;
      } else if (kind === 'F') {
        const ids = rest.slice(1);
        if (mode === 'wal') walOracle.reject(ids);
        else chainOracle.reject(ids);
        v.add(
          `${label}: an append was rejected on a healthy disk (${rest[0]}): ${ids.slice(0, 5).join(' ')}`,
        );
      } else if (mode === 'wal' && (kind === 'A' || kind === 'S')) {
        walOracle.ack(Number(rest[0]), rest[1] ?? '', v);
      } else if (mode === 'wal' && kind === 'B') {
        const first = Number(rest[0]);
        rest.slice(1).forEach((id, i) => walOracle.ack(first + i, id, v));
      } else if (mode === 'chain' && (kind === 'A' || kind === 'B')) {
        for (const id of rest) chainOracle.ack(id, v);
      } else {
        v.add(`${label}: unexpected line from the child: ${JSON.stringify(line.slice(0, 200))}`);
      }
    }
    // A child killed because the run stopped may not have got as far as opening the WAL (a torture run
    // reported this for the iteration its 15-minute budget cut: iteration 534 of 535, seed 3305567364,
    // which passes when run alone). What it acknowledged is still checked below.
    if (!ready && plan.after !== 'O' && !runResult.killedByStop)
      v.add(`${label}: the child never reported that it opened the WAL`);

    try {
      const ro = openWalReadOnly({ dir, verify: 'full' });
      const view = readView((o) => ro.reader.records(o), ro.report);
      if (mode === 'wal') walOracle.check(`${label}, read-only check`, view, round, v);
      else chainOracle.check(`${label}, read-only check`, view, verifyChain(dir, publishDir), round, v);
    } catch (err) {
      v.add(`${label}: the WAL did not reopen (read-only): ${String(err)}`);
    }
    metrics.checkMs += Date.now() - t0;
  }

  // Last, the write-mode recovery: torn tail cut, newest segment sealed, stale lock taken over.
  const t0 = Date.now();
  try {
    const wal = Wal.open({
      dir,
      segmentBytesMax: segmentBytes,
      payloadBytesMax: mode === 'wal' ? PAYLOAD_BYTES_MAX : CHAIN_PAYLOAD_BYTES_MAX,
      preallocate: 'off',
    });
    let view: WalView;
    try {
      const before = mode === 'wal' ? walOracle.lastSeq : chainOracle.lastSeq;
      if (wal.status().nextSeq !== before + 1)
        v.add(`Wal.open: nextSeq ${wal.status().nextSeq}, the read-only check ended at ${before}`);
      view = readView((o) => wal.read(o), wal.recovery);
    } finally {
      await wal.close();
    }
    if (mode === 'wal') walOracle.check('Wal.open', view, ROUNDS_PER_ITERATION, v);
    else
      chainOracle.check(
        'Wal.open (verified after close)',
        view,
        verifyChain(dir, publishDir),
        ROUNDS_PER_ITERATION,
        v,
      );
  } catch (err) {
    v.add(`the WAL did not reopen (Wal.open): ${String(err)}`);
  }
  metrics.checkMs += Date.now() - t0;
  metrics.records = mode === 'wal' ? walOracle.lastSeq : chainOracle.records;
  return {
    ok: v.count === 0,
    acknowledged: mode === 'wal' ? walOracle.acknowledged : chainOracle.acknowledged,
    faults,
    violations: v.result(),
    metrics,
  };
}

/** `verifyWal` with the public key and, once there are any, the published checkpoints. */
export function verifyChain(dir: string, publishDir: string): VerifyReport {
  return verifyWal({
    dir,
    keys: signingKey().ring,
    ...(fs.existsSync(publishDir) ? { publishedDir: publishDir } : {}),
  });
}

export const kill9DuringWriteLibrary: Scenario = {
  name: 'Kill9DuringWrite',
  kind: 'real',
  description:
    'SIGKILL of a process appending to the WAL with durable acks (raw WAL appends, or createAuditLogging with ' +
    'audit_chain + audit_sign), twice per iteration; every ack present byte-exact and in order, no corruption, chain verifies',
  run,
};
