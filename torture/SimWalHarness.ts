/**
 * The real WAL (optionally chained and signed) on a simulated disk, driven
 * the way a busy writer would drive it, with a `Ledger` of everything
 * attempted and acknowledged, and the oracle check after every reopen.
 *
 * - Async appends (single and batch) are tracked: an acknowledgement counts
 *   only if it arrives before the disk crashed (a process that lost power
 *   acknowledges nothing afterwards).
 * - Chained mode installs a `ChainSequencer` (chain recovered from the WAL at
 *   every open, as the audit_wal exporter does) and appends deferred records;
 *   the bytes of each are captured when the WAL builds them at their position.
 * - `check()` (re)opens the WAL if needed with `verifyOnOpen: 'full'`, reads
 *   it back, runs `verifyWal` when chained, and applies the oracle; a passing
 *   check makes what the WAL holds the new baseline (`Ledger.adopt`).
 */
import { ChainSequencer } from '../src/integrity/chain/ChainSequencer.ts';
import { recoverChain } from '../src/integrity/chain/recoverChain.ts';
import type { VerifyReport } from '../src/integrity/verify/VerifyReport.ts';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import { OtelAuditError } from '../src/errors.ts';
import { SimDisk, type CrashMode } from '../src/wal/fs/SimDisk.ts';
import type { WalOptions } from '../src/wal/options.ts';
import { Wal, type DeferredRecord } from '../src/wal/Wal.ts';
import {
  tortureKeyRing,
  tortureRecord,
  torturePayload,
  tortureSigner,
  TORTURE_STREAM_ID,
} from './chainKit.ts';
import { CrashSwitchFs } from './CrashSwitchFs.ts';
import { TortureClock } from './clock.ts';
import { Ledger, type Attempt } from './ledger.ts';
import { checkWal, type InjectedDamage, type ObservedRecord } from './oracle.ts';
import { Prng } from './prng.ts';

export const TORTURE_WAL_DIR = '/torture/wal';

export type HarnessWalOptions = Omit<WalOptions, 'dir' | 'fs' | 'clock'>;

export interface HarnessOptions {
  readonly seed: number;
  readonly chained: boolean;
  readonly wal?: HarnessWalOptions;
  readonly clock?: TortureClock;
  readonly checkpointEveryRecords?: number;
  readonly checkpointEveryMs?: number;
}

/** An append the WAL refused, and whether the process was still alive then. */
export interface Rejection {
  readonly error: unknown;
  /** The disk had crashed (or the WAL was replaced) before the rejection: not a live refusal. */
  readonly afterCrash: boolean;
}

export type AppendOutcome =
  { readonly ok: true; readonly seq: number } | { readonly ok: false; readonly error: unknown };

/** A typed error's code, or a short description of anything else. */
export function errorCode(err: unknown): string {
  if (err instanceof OtelAuditError) return err.code;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export function describeError(err: unknown): string {
  return err instanceof OtelAuditError ? `${err.code}: ${err.message}` : String(err);
}

export class SimWalHarness {
  readonly dir = TORTURE_WAL_DIR;
  readonly ledger = new Ledger();
  readonly clock: TortureClock;
  readonly rejections: Rejection[] = [];
  disk: SimDisk;
  /**
   * What the open WAL sees: the disk it was opened on, with a power switch
   * that can fire at the N-th call. One per open: after a crash the old WAL
   * object (a dead process) must not reach the disk that came back.
   */
  fs: CrashSwitchFs;
  wal: Wal | undefined;
  /**
   * Errors the disk raised while it had power, by code (`ENOSPC`, `EIO`, ...), over every open: what a
   * scenario's armed fault really did (`SimDisk.failNextSync`, `setCapacityBytes`).
   */
  private readonly diskErrors = new Map<string, number>();
  crashes = 0;
  /** Event-loop turns every async sync takes (CrashSwitchFs.syncDelayTurns); a crash resets it, as SimDisk's delay. */
  private syncDelayTurns = 0;
  /** Acknowledgements that arrived after their disk had crashed (must stay 0). */
  lateAcks = 0;
  /**
   * Strict appends refused while async appends were still in flight (so an
   * fsync of the same segment may have been running concurrently): the
   * precondition of known defect KD-3 (torture/knownDefects.ts).
   */
  strictFailuresDuringAsync = 0;
  /**
   * Strict appends made while async appends were in flight (two un-synced
   * writes can then coexist): the precondition of known defect KD-4.
   */
  strictDuringAsync = 0;
  /** Armed crashes that fired inside `sealSegmentFile`: the precondition of known defect KD-5. */
  crashesInsideSeal = 0;
  /** The WAL step the last armed crash interrupted. */
  lastCrashStep = '';
  /** Async appends submitted and not yet acknowledged or refused. */
  private inFlight = 0;
  /** What the last `check()` read back. */
  lastRecords: readonly ObservedRecord[] = [];
  private readonly o: HarnessOptions;
  private readonly rng: Prng;
  private sequencer: ChainSequencer | undefined;
  private chainProblems: readonly string[] = [];
  /** Problems of a new stream broken as soon as it started (the exporter would refuse to start). */
  private newStreamProblems: readonly string[] = [];
  /** The chain's stream (a new one after records of the previous were lost). */
  private streamId = TORTURE_STREAM_ID;
  /** The WAL seq where `streamId` started (1 for the first stream). */
  private streamFirstSeq = 1;
  private generation = 0;
  /** Set for the next open only: the operator accepts records lost below this high-water mark. */
  private acceptLostRecordsThroughSeq: number | undefined;
  private outstanding: Array<Promise<void>> = [];

  constructor(o: HarnessOptions) {
    this.o = o;
    this.rng = new Prng(o.seed ^ 0x7f4a7c15);
    this.disk = new SimDisk(o.seed);
    this.fs = new CrashSwitchFs(this.disk, this.diskErrors);
    this.clock = o.clock ?? new TortureClock();
  }

  get chained(): boolean {
    return this.o.chained;
  }

  get walOptions(): WalOptions {
    return {
      verifyOnOpen: 'full',
      failureBackoffMs: 0,
      ...this.o.wal,
      dir: this.dir,
      fs: this.fs,
      clock: this.clock.now,
      ...(this.acceptLostRecordsThroughSeq === undefined
        ? {}
        : { acceptLostRecordsThroughSeq: this.acceptLostRecordsThroughSeq }),
    };
  }

  /** Opens the WAL (recovering the chain when chained); returns the error if it did not open. */
  open(): unknown {
    if (this.wal) return undefined;
    this.fs = new CrashSwitchFs(this.disk, this.diskErrors);
    this.fs.syncDelayTurns = this.syncDelayTurns;
    let wal: Wal;
    try {
      wal = Wal.open(this.walOptions);
    } catch (err) {
      return err ?? new Error('Wal.open threw nothing');
    }
    this.acceptLostRecordsThroughSeq = undefined;
    this.generation++;
    this.wal = wal;
    if (this.o.chained) {
      let recovered = recoverChain(wal.reader(), this.streamId, { firstSeq: this.streamFirstSeq });
      this.chainProblems = recovered.problems;
      if (recovered.broken) {
        // As the audit_wal exporter does (WalIntegrity.start): records of the stream were lost to damage, so
        // it ends there and new records start a new stream, named after the WAL seq where it starts and
        // read only from there at later starts (the exporter keeps both in <wal>/stream_id and
        // <wal>/stream_first_seq through node:fs, outside the simulated disk: they are kept here).
        const firstSeq = wal.status().nextSeq;
        this.streamId = `${TORTURE_STREAM_ID}-r${firstSeq}`;
        this.streamFirstSeq = firstSeq;
        recovered = recoverChain(wal.reader(), this.streamId, { firstSeq });
        // The exporter refuses to start (ChainRecoveryError) on a new stream that is broken at once: a
        // violation even in damage scenarios (the damage is before the new stream).
        if (recovered.broken) {
          this.newStreamProblems = recovered.problems.map((p) => `new stream ${this.streamId} broken: ${p}`);
        }
      }
      this.sequencer = new ChainSequencer(
        {
          chain: recovered.chain,
          signer: tortureSigner(),
          checkpointEveryRecords: this.o.checkpointEveryRecords ?? 8,
          checkpointEveryMs: this.o.checkpointEveryMs ?? 50,
          clock: this.clock.now,
        },
        recovered.lastCheckpointSize,
      );
      wal.setSequencer(this.sequencer);
    }
    return undefined;
  }

  /** `n` concurrent single-record appends. */
  append(n = 1): Array<Promise<AppendOutcome>> {
    return Array.from({ length: n }, () => this.submit(1));
  }

  /** One batch of `n` records (one acknowledgement for all). */
  batch(n: number): Promise<AppendOutcome> {
    return this.submit(n);
  }

  /** Appends `count` records as one call; resolves with the outcome (never rejects). */
  submit(count: number): Promise<AppendOutcome> {
    const wal = this.wal;
    const attempts = Array.from({ length: count }, () => this.ledger.attempt());
    if (!wal) return Promise.resolve(this.refuse(new Error('the WAL is not open (crashed)'), true));
    const gen = this.generation;
    let promise: Promise<number>;
    let seqsOf: (first: number) => number[];
    if (this.sequencer) {
      const items = attempts.map((a) => this.deferred(a));
      promise = wal.appendDeferred(items.map((i) => i.record));
      seqsOf = (first) => {
        const seqs: number[] = [];
        let s = first;
        for (const i of items) {
          seqs.push(s);
          s += 1 + i.extraFrames();
        }
        return seqs;
      };
    } else {
      const payloads = attempts.map((a) => {
        const p = torturePayload(a.order, this.rng);
        this.ledger.setPayload(a, p);
        return p;
      });
      promise = count === 1 ? wal.append(payloads[0] as Uint8Array) : wal.appendBatch(payloads);
      seqsOf = (first) => attempts.map((_, i) => first + i);
    }
    this.inFlight++;
    const outcome = promise.then(
      (first): AppendOutcome => {
        if (gen === this.generation) this.inFlight--;
        if (gen !== this.generation) {
          this.lateAcks++;
          return { ok: false, error: new Error('acknowledged after the disk crashed') };
        }
        seqsOf(first).forEach((seq, i) => this.ledger.ack(seq, attempts[i] as Attempt));
        return { ok: true, seq: first };
      },
      (error: unknown): AppendOutcome => {
        if (gen === this.generation) this.inFlight--;
        return this.refuse(error, gen !== this.generation);
      },
    );
    this.outstanding.push(outcome.then(() => undefined));
    return outcome;
  }

  /** A strict (synchronous, durable-on-return) append of one record. */
  strict(): AppendOutcome {
    const wal = this.wal;
    const a = this.ledger.attempt();
    if (!wal) return this.refuse(new Error('the WAL is not open (crashed)'), true);
    if (this.inFlight > 0) this.strictDuringAsync++;
    try {
      let seq: number;
      if (this.sequencer) {
        seq = wal.appendDeferredSync(this.deferred(a).record);
      } else {
        const p = torturePayload(a.order, this.rng);
        this.ledger.setPayload(a, p);
        seq = wal.appendSync(p);
      }
      this.ledger.ack(seq, a);
      return { ok: true, seq };
    } catch (error) {
      if (this.inFlight > 0) this.strictFailuresDuringAsync++;
      return this.refuse(error, false);
    }
  }

  /** A checkpoint on its own (as the exporter's idle timer writes), when records arrived since the last. */
  checkpoint(): void {
    const wal = this.wal;
    const s = this.sequencer;
    if (!wal || !s || s.pending === 0) return;
    const gen = this.generation;
    this.outstanding.push(
      wal.appendDeferred([s.deferredCheckpoint()]).then(
        () => undefined,
        (error: unknown) => void this.refuse(error, gen !== this.generation),
      ),
    );
  }

  /** Lets the event loop turn `n` times (syncs complete, group commits form). */
  async tick(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Waits for every outstanding append to be acknowledged or refused. */
  async settle(): Promise<void> {
    while (this.outstanding.length > 0) {
      const pending = this.outstanding;
      this.outstanding = [];
      await Promise.all(pending);
    }
  }

  /** Makes every async sync of the WAL take `turns` event-loop turns, from now until the next crash. */
  setSyncDelayTurns(turns: number): void {
    this.syncDelayTurns = turns;
    this.fs.syncDelayTurns = turns;
  }

  /** Power loss now: the disk keeps what `mode` decides; the WAL object is gone. */
  crash(mode: CrashMode, seed?: number): void {
    this.afterCrash(this.disk.crash({ mode, ...(seed === undefined ? {} : { seed }) }));
  }

  /** Power loss just before the `calls`-th file-system call from now (possibly inside a synchronous step). */
  armCrash(calls: number, mode: CrashMode, seed: number): void {
    this.fs.arm(calls, mode, seed);
  }

  /** If an armed crash fired, takes the disk that came back (as `crash` does) and returns true. */
  collectArmedCrash(): boolean {
    const disk = this.fs.takeCrashed();
    if (disk === undefined) return false;
    this.lastCrashStep = this.fs.firedInStep;
    if (this.lastCrashStep === 'sealSegmentFile') this.crashesInsideSeal++;
    this.afterCrash(disk);
    return true;
  }

  get armedCrashFired(): boolean {
    return this.fs.fired;
  }

  /** How many errors with `code` the disk has raised while it had power. */
  diskErrorCount(code: string): number {
    return this.diskErrors.get(code) ?? 0;
  }

  private afterCrash(disk: SimDisk): void {
    this.disk = disk;
    this.fs.retire();
    this.syncDelayTurns = 0;
    this.crashes++;
    this.generation++;
    this.inFlight = 0;
    this.wal = undefined;
    this.sequencer = undefined;
  }

  /** A clean shutdown: flush, seal, release the lock. */
  async close(): Promise<void> {
    const wal = this.wal;
    if (!wal) return;
    await wal.close();
    await this.settle();
    this.wal = undefined;
    this.sequencer = undefined;
  }

  /**
   * Opens the WAL if needed, reads it back and applies the oracle. `verify`
   * (chained WALs only): `true` runs `verifyWal` now, a report uses one
   * computed earlier (e.g. on the damaged image before reopening). Verifying
   * re-reads and re-hashes the whole log, so scenarios verify at their last
   * check — the chain is append-only, so a break made at any earlier crash is
   * still there — and check records at every reopen.
   */
  check(where: string, opts: { damage?: InjectedDamage; verify?: boolean | VerifyReport } = {}): string[] {
    this.collectArmedCrash();
    this.fs.disarm();
    const refusal = this.expectRefusal(where, opts.damage?.lostBelowMark);
    const openError = this.open();
    const wal = this.wal;
    if (openError !== undefined || !wal) {
      return checkWal({
        where,
        ledger: this.ledger,
        observation: { openError: describeError(openError ?? 'not open'), records: [] },
      });
    }
    const readDamage: string[] = [];
    const records: ObservedRecord[] = [
      ...wal.read({ onDamage: (d) => readDamage.push(`${d.segment} at offset ${d.offset}: ${d.reason}`) }),
    ];
    const verify =
      !this.o.chained || opts.verify === undefined || opts.verify === false
        ? undefined
        : opts.verify === true
          ? this.verify()
          : opts.verify;
    const violations = checkWal({
      where,
      ledger: this.ledger,
      observation: { records, recovery: wal.recovery, readDamage, ...(verify ? { verify } : {}) },
      ...(opts.damage ? { damage: opts.damage } : {}),
    });
    violations.unshift(...refusal);
    if (!opts.damage) {
      for (const p of this.chainProblems) violations.push(`${where}: chain recovery: ${p}`);
    }
    for (const p of this.newStreamProblems) violations.push(`${where}: chain recovery: ${p}`);
    if (this.lateAcks > 0)
      violations.push(`${where}: ${this.lateAcks} appends were acknowledged after a crash`);
    this.lastRecords = records;
    if (violations.length === 0) this.ledger.adopt(records);
    return violations;
  }

  /**
   * Damage destroyed records at or below the high-water mark: the writer's open must refuse with
   * WAL_CORRUPT; then the operator accepts the loss for the next open. Returns the violations.
   */
  private expectRefusal(where: string, mark: number | undefined): string[] {
    if (mark === undefined || this.wal) return [];
    const err = this.open();
    this.acceptLostRecordsThroughSeq = mark;
    if (err === undefined) {
      return [`${where}: the WAL opened although records up to its high-water mark ${mark} were lost`];
    }
    const code = (err as { code?: unknown }).code;
    if (code !== 'WAL_CORRUPT') {
      return [
        `${where}: the open below the high-water mark ${mark} failed with ${describeError(err)}, not WAL_CORRUPT`,
      ];
    }
    return [];
  }

  /** `verifyWal` of the directory as it is now, with the torture key trusted. */
  verify(): VerifyReport {
    return verifyWal({ dir: this.dir, fs: this.disk, keys: tortureKeyRing() });
  }

  /** Refusals while the writer was alive (not those caused by a crash). */
  liveRejections(): unknown[] {
    return this.rejections.filter((r) => !r.afterCrash).map((r) => r.error);
  }

  private refuse(error: unknown, afterCrash: boolean): AppendOutcome {
    this.rejections.push({ error, afterCrash });
    return { ok: false, error };
  }

  private deferred(a: Attempt): { record: DeferredRecord; extraFrames: () => number } {
    const s = this.sequencer as ChainSequencer;
    const record = tortureRecord(a.order, this.rng);
    const inner = s.deferredRecord(record, undefined, 1024);
    let extra = 0;
    return {
      record: {
        estimatedBytes: inner.estimatedBytes,
        build: () => {
          const built = inner.build();
          this.ledger.setPayload(a, built.payload);
          extra = built.extra?.length ?? 0;
          return built;
        },
      },
      extraFrames: () => extra,
    };
  }
}
