/**
 * Key store entries not yet known to be durable (a KeyStore opened with
 * `deferSync`): keys this process created on the record path, whose entry is
 * not even written yet (`creation`: entryCreation.ts), and entries it read
 * there (another process may have linked one a moment ago and not synced it
 * yet). `flush()` makes all of them durable — writes and links the new
 * entries, then an fsync of each file and ONE fsync per directory (the
 * entry's shard directory and `keys/`, which may have just got that shard),
 * all on the thread pool, in parallel — and the pipeline awaits it before
 * anything encrypted with those keys is made durable
 * (RecordProcessor.flushBeforeExport).
 *
 * - A new entry that cannot be written fails the flush (KeyStoreIoError,
 *   retryable); the key stays the subject's and pending, with a new
 *   `creation`, and the next flush writes it again (`onCreateFailed`). It is
 *   never given up while it is handed out: a batch that used it may call
 *   its flush only after this one has failed, and that flush must not
 *   resolve with the key nowhere (nor may a synchronous flush, which lets
 *   the in-process writer hand down every batch held for flushes in flight).
 *   The key store then refuses the key's subject, and once no batch can be
 *   waiting for the key any more its writing goes on in the background: its
 *   failures fail no flush (failingCreations.ts).
 *
 * - A flush also waits for the flushes already in flight: a batch that used a
 *   key another batch created must not go ahead before that key is durable.
 * - A failed fsync fails the flush (KeyStoreIoError, retryable). The entries
 *   it covered are never fsynced again (after a failed fsync Linux may report
 *   a later one as successful although the data never reached the disk):
 *   each is rewritten under the store lock — the bytes now on disk to a new
 *   file, fsync, rename over, directory fsyncs — at once, or, if that fails
 *   too, by the next flush (it stays pending, marked failed); if it no longer
 *   holds the same key (shredded or replaced meanwhile), the key is forgotten
 *   (`onLost`), so it is not used again, and that flush fails too: the cache
 *   handed the key out until then, so the batch flushing may hold records
 *   encrypted with it.
 * - `flushSync()` does the same work blocking, for runners that cannot await
 *   (in-process `durability: strict`); entries of flushes in flight are
 *   rewritten there, not fsynced a second time.
 * - Bounded: `size` counts the entries pending, failed or being synced (by
 *   any flush still running, also after a `flushSync` did its work: until it
 *   ends it holds them); the key store refuses a new one beyond its maximum
 *   (KeyStore.ts), so a disk whose syncs keep failing — or a thread pool that
 *   is stuck while forced commits keep calling `flushSync` — cannot fill the
 *   memory with keys.
 */
import path from 'node:path';
import { KeyStoreIoError } from '../errors.ts';
import { fsyncDirectory, linksAndBytes, removeTemporaryLinksOf, replaceFile } from './durableFiles.ts';
import { createEntry, createEntrySync, CreationAbandonedError, type EntryCreation } from './entryCreation.ts';
import type { EntrySyncer } from './entrySyncer.ts';
import { parseEntryFile, STORE_FILE_BYTES_MAX } from './keyStoreFormat.ts';
import { FailingCreations } from './failingCreations.ts';
import { withStoreLock } from './storeLock.ts';

export interface PendingEntry {
  readonly ref: string;
  readonly file: string;
  readonly keyId: string;
  /** Set when an fsync covering it failed: it is rewritten, not fsynced again. */
  readonly failed?: boolean;
  /** Set for a key this process created: its entry is still to be written (and then `file` may be its alternate name). */
  readonly creation?: EntryCreation;
}

export interface PendingEntriesOptions {
  /** The key store directory (its lock). */
  readonly directory: string;
  readonly syncer: EntrySyncer;
  /** The entry of `ref` is not the key that was pending any more (shredded, replaced, unreadable). */
  readonly onLost: (ref: string) => void;
  /** The entry holding key `keyId` is durable (synced or rewritten). */
  readonly onDurable: (keyId: string) => void;
  /** The entry of a new key was linked at `file` (its subject's name, or its alternate name). */
  readonly onCreated: (ref: string, keyId: string, file: string) => void;
  /**
   * The entry of a new key could not be written; true when the key is still handed out for its
   * subject (not shredded meanwhile): it is then pending again, to be written by the next flush.
   */
  readonly onCreateFailed: (ref: string, keyId: string, error: unknown) => boolean;
  /**
   * A synchronous flush gave the new key up (entryCreation.ts, `CreationAbandonedError`: its entry was
   * shredded after the thread pool linked it): it must not be handed out any more, nor written again.
   */
  readonly onAbandoned: (ref: string, keyId: string) => void;
  /** Makes the shard directory of `file` exist, on the thread pool / blocking. */
  readonly ensureShard: (file: string) => Promise<void>;
  readonly ensureShardSync: (file: string) => void;
}

/** An entry of a flush in flight, and how far that flush got with it. */
interface Flight {
  readonly entry: PendingEntry;
  /** The entry to sync: `entry`, or for a new key once written, where it was linked. */
  toSync: PendingEntry | undefined;
  /**
   * `waiting`: its fsync is not issued yet; `issued`; `takenOver`: a synchronous flush wrote and/or
   * synced it instead (`outcome`), and the flush in flight does not touch it any more.
   */
  sync: 'waiting' | 'issued' | 'takenOver';
  /** `unwritten`: its entry could not be written (`failed`: written, not synced). */
  outcome?: 'durable' | 'failed' | 'unwritten';
  /**
   * False for the writing of a key whose writing failed before and that no batch can still be waiting
   * for (failingCreations.ts): its failure does not fail the flush.
   */
  readonly charged: boolean;
  /**
   * True for the writing of a new key when the flush may carry a batch holding records encrypted with
   * it (failingCreations.ts `mayCarry`): only then does a failure keep the key charged until it settles.
   */
  readonly carries: boolean;
  /** Keys the flush of this flight keeps charged until it settles (shared by its flights). */
  readonly holds: string[];
}

interface SyncPlan {
  readonly files: readonly PendingEntry[];
  /** Each directory to fsync once, with the entries that depend on it. */
  readonly directories: ReadonlyMap<string, readonly PendingEntry[]>;
}

export class PendingEntries {
  private readonly o: PendingEntriesOptions;
  private readonly pending = new Map<string, PendingEntry>();
  /** Flushes in flight that later flushes wait for (`flushSync` lets go of them: it did their work). */
  private readonly inFlight = new Map<Promise<void>, readonly Flight[]>();
  /**
   * Entries of flushes whose work has not ended, whether or not a `flushSync` let go of them: they are
   * held (and their files worked on by the thread pool) until it ends, so they count toward `size`.
   */
  private runningEntries = 0;
  /** The work of every flush not ended, `flushSync` or not (`settled`: its files are still worked on). */
  private readonly running = new Set<Promise<void>>();
  private readonly failing = new FailingCreations();
  /**
   * Set from a synchronous flush giving up a key a batch may carry (`CreationAbandonedError`) until the
   * end of that event-loop turn: every flush meanwhile fails with it. A batch that got the key earlier
   * in the turn calls its flush later in it (KeyStore.ts); the key is no longer pending nor in flight,
   * so that flush would resolve and its records, encrypted with a key in no file, be acknowledged.
   */
  private abandonedInTurn: CreationAbandonedError | undefined;

  constructor(o: PendingEntriesOptions) {
    this.o = o;
  }

  /**
   * Resolves once the work of every flush has ended — also of flushes a `flushSync` let go of, whose
   * thread-pool work may still be running — including flushes started meanwhile. Never rejects (their
   * callers get their failures).
   */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Flushes whose work has not ended (`flushSync` or not). `settled()` resolving does not make it 0:
   * a flush may start between its last check and its caller's continuation (KeyStore.close loops on it).
   */
  get runningFlushes(): number {
    return this.running.size;
  }

  /**
   * True when an entry is pending or being synced — or a key was given up in this event-loop turn: a
   * flush must then be called (and fails), not skipped (audit_encrypt flushes only when this is true).
   */
  get any(): boolean {
    return this.pending.size > 0 || this.inFlight.size > 0 || this.abandonedInTurn !== undefined;
  }

  /**
   * Entries not yet known durable: pending (failed ones included) and being synced — by a flush still
   * running, even one a `flushSync` took over (the thread pool may be stuck: they stay in memory).
   */
  get size(): number {
    return this.pending.size + this.runningEntries; // an entry counts once per flush syncing it
  }

  /** True when `ref` is pending (adding it again replaces the entry: `size` does not grow). */
  has(ref: string): boolean {
    return this.pending.has(ref);
  }

  add(entry: PendingEntry): void {
    const now = this.pending.get(entry.ref);
    // The same key read again (cache expiry) while its failed sync waits to be rewritten: it stays
    // marked failed, so it is rewritten, never fsynced again.
    if (now?.failed && now.keyId === entry.keyId) return;
    // A key being created is never replaced: records were encrypted with it (KeyStore never asks).
    if (now?.creation && now.keyId !== entry.keyId)
      throw new Error(`key store: ${entry.ref} already has a key being created (${now.keyId})`);
    this.pending.set(entry.ref, entry);
  }

  /** The entry of `ref` was destroyed durably (shred): nothing to sync (or create) any more. */
  forget(ref: string): void {
    const e = this.pending.get(ref);
    if (e?.creation) this.failing.forget(e.keyId);
    this.pending.delete(ref);
  }

  /** Resolves when every entry added so far is durable; rejects (KeyStoreIoError) when one could not be made so. */
  flush(): Promise<void> {
    if (this.abandonedInTurn) return Promise.reject(this.abandonedInTurn); // pending work stays for the next
    const waits = [...this.inFlight.keys()];
    if (this.pending.size > 0) {
      const holds: string[] = [];
      const flights: Flight[] = [...this.pending.values()].map((entry) => {
        const charged = entry.creation === undefined || this.failing.charged(entry.keyId);
        const carries = entry.creation !== undefined && this.failing.mayCarry(entry.keyId);
        if (charged && carries && this.failing.has(entry.keyId)) this.hold(holds, entry.keyId);
        const toSync = entry.creation ? undefined : entry;
        return { entry, toSync, sync: 'waiting', charged, carries, holds };
      });
      this.pending.clear();
      const work = this.syncAll(flights);
      this.inFlight.set(work, flights);
      this.running.add(work);
      this.runningEntries += flights.length;
      const done = (): void => {
        this.inFlight.delete(work);
        this.running.delete(work);
        this.runningEntries -= flights.length;
        for (const keyId of holds) this.failing.release(keyId);
      };
      work.then(done, done);
      waits.push(work);
    }
    if (waits.length === 0) return Promise.resolve();
    return waits.length === 1 ? (waits[0] as Promise<void>) : Promise.all(waits).then(() => undefined);
  }

  /**
   * `flush()`, blocking. It cannot wait for the flushes in flight; it does their work instead, and
   * they leave that part alone (their result depends on its outcome): it writes the new entries they
   * have not written yet (taking over those the thread pool is writing: its result is then ignored,
   * entryCreation.ts), and syncs the entries whose fsync they have not issued yet. It must not fsync
   * an entry whose fsync a flush in flight has issued: if that one meets a write-back error, a second
   * fsync through another descriptor may report success with the data not on disk, while records
   * encrypted with the key are made durable. Those are rewritten (new file, fsync, rename, directory
   * fsyncs) as after a failed sync. Only a forced synchronous commit during a flush does any of this.
   * A key whose entry a flush in flight (or an earlier `flushSync`) could not write is pending
   * again: written here. When this returns, every key handed out so far is durable — a caller may
   * then hand down everything waiting for the flushes in flight (the in-process writer's held
   * batches), even those whose own flush is still to fail.
   */
  flushSync(): void {
    if (this.abandonedInTurn) throw this.abandonedInTurn;
    if (!this.any) return;
    const failures: unknown[] = [];
    const bad = new Set<PendingEntry>();
    const entries: PendingEntry[] = [];
    const taken = new Map<PendingEntry, Flight>();
    const toCreate: { readonly entry: PendingEntry; readonly flight?: Flight }[] = [];
    for (const e of this.pending.values()) {
      if (e.creation) toCreate.push({ entry: e });
      else entries.push(e);
    }
    for (const f of [...this.inFlight.values()].flat()) {
      const c = f.entry.creation;
      if (f.sync === 'issued') {
        // (Without `toSync`: its entry could not be written; pending again, done above.)
        if (f.toSync) entries.push({ ...f.toSync, failed: true });
      } else if (f.sync === 'waiting') {
        if (f.toSync === undefined) {
          // Not written yet (or its writing failed: done again here).
          if (c !== undefined && c.state !== 'takenOver') toCreate.push({ entry: f.entry, flight: f });
        } else if (f.toSync.failed) {
          entries.push(f.toSync); // rewritten here (and there: harmless)
        } else {
          f.sync = 'takenOver';
          entries.push(f.toSync);
          taken.set(f.toSync, f);
        }
      }
    }
    this.pending.clear();
    // Failures to write a key in the background (failingCreations.ts) fail no flush. (Once written, its
    // syncs count as any other: the key may be handed out again from then on.)
    const ignored: unknown[] = [];
    for (const { entry: e, flight } of toCreate) {
      const c = e.creation as EntryCreation;
      const charged = flight ? flight.charged : this.failing.charged(e.keyId);
      if (flight) flight.sync = 'takenOver';
      try {
        const file = createEntrySync(e.file, e.keyId, c, () => this.o.ensureShardSync(e.file));
        this.created(e, file);
        const entry = { ref: e.ref, file, keyId: e.keyId };
        entries.push(entry);
        if (flight) taken.set(entry, flight);
      } catch (error) {
        (charged ? failures : ignored).push(error);
        if (error instanceof CreationAbandonedError) {
          if (charged) this.abandonInTurn(error);
          this.failing.forget(e.keyId);
          this.o.onAbandoned(e.ref, e.keyId); // not written again: no new creation
          if (flight) flight.outcome = 'unwritten'; // its flush fails (if charged)
          continue;
        }
        this.createFailed(e, error);
        if (flight) {
          flight.outcome = 'unwritten'; // its flush fails (if charged): it keeps the key charged until then
          if (charged && flight.carries) this.hold(flight.holds, e.keyId);
        }
      }
    }
    const plan = this.rewriteFailed(entries, failures, bad);
    for (const e of plan.files) this.attempt(failures, bad, [e], () => this.o.syncer.fileSync(e.file));
    for (const [dir, covered] of plan.directories)
      this.attempt(failures, bad, covered, () => this.o.syncer.directorySync(dir));
    this.durable(plan.files, bad);
    for (const [entry, f] of taken) f.outcome = bad.has(entry) ? 'failed' : 'durable';
    try {
      this.settle(failures, bad);
    } finally {
      // Everything in flight was done here, whatever the outcome: what failed is pending again (or
      // forgotten), so later flushes need not wait for those flushes — nor fail with them. (If an
      // fsync of theirs fails after all, its entries come back marked failed and are rewritten once
      // more.)
      this.inFlight.clear();
    }
  }

  private async syncAll(flights: readonly Flight[]): Promise<void> {
    const failures: unknown[] = [];
    const bad = new Set<PendingEntry>();
    // New entries first: a directory fsync covers only the links made before it.
    await this.createAll(
      flights.filter((f) => f.toSync === undefined),
      failures,
    );
    const entries: PendingEntry[] = [];
    for (const f of flights) {
      if (f.sync === 'takenOver') {
        // A synchronous flush did it: durable, or this flush fails too (its batch used the key).
        // (A background writing that failed fails nothing; once written, its syncs count.)
        if (f.outcome !== 'durable' && (f.charged || f.outcome !== 'unwritten'))
          failures.push(
            new KeyStoreIoError(
              `key store: key ${f.entry.keyId} could not be made durable (${f.toSync?.file ?? f.entry.file})`,
            ),
          );
      } else if (f.toSync) {
        f.sync = 'issued';
        entries.push(f.toSync);
      }
    }
    const plan = this.rewriteFailed(entries, failures, bad);
    const dirs = [...plan.directories];
    const results = await Promise.allSettled([
      ...plan.files.map((e) => this.o.syncer.file(e.file)),
      ...dirs.map(([dir]) => this.o.syncer.directory(dir)),
    ]);
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      failures.push(r.reason);
      const covered = i < plan.files.length ? [plan.files[i]] : dirs[i - plan.files.length]?.[1];
      for (const e of covered ?? []) if (e) bad.add(e);
    });
    this.durable(plan.files, bad);
    this.settle(failures, bad);
  }

  /** Writes the new entries on the thread pool; sets `toSync` of each written (where it was linked). */
  private async createAll(flights: readonly Flight[], failures: unknown[]): Promise<void> {
    if (flights.length === 0) return;
    const results = await Promise.allSettled(
      flights.map(({ entry: e }) =>
        createEntry(e.file, e.keyId, e.creation as EntryCreation, () => this.o.ensureShard(e.file)),
      ),
    );
    results.forEach((r, i) => {
      const f = flights[i] as Flight;
      const e = f.entry;
      if (f.sync === 'takenOver') return; // a synchronous flush wrote it (syncAll reports its outcome)
      if (r.status === 'rejected') {
        f.sync = 'issued'; // done with here: the key is pending again, with a new creation
        if (f.charged) failures.push(r.reason); // else: a background writing (failingCreations.ts)
        this.createFailed(e, r.reason);
        if (f.charged && f.carries) this.hold(f.holds, e.keyId); // until this flush has failed
      } else if (r.value !== undefined) {
        this.created(e, r.value);
        f.toSync = { ref: e.ref, file: r.value, keyId: e.keyId };
      }
    });
  }

  /**
   * A new key's entry could not be written: pending again (with a new creation: a write the thread
   * pool may still be doing for the old one is ignored), unless the key is no longer handed out.
   */
  private createFailed(e: PendingEntry, error: unknown): void {
    const c = e.creation as EntryCreation;
    if (!this.o.onCreateFailed(e.ref, e.keyId, error)) {
      this.failing.forget(e.keyId);
      return;
    }
    this.failing.failed(e.keyId);
    if (this.pending.has(e.ref)) return;
    const creation: EntryCreation = { bytes: c.bytes, alternateFile: c.alternateFile, state: 'queued' };
    this.pending.set(e.ref, { ref: e.ref, file: e.file, keyId: e.keyId, creation });
  }

  /** A new key's entry is linked at `file`: its writing no longer fails. */
  private created(e: PendingEntry, file: string): void {
    this.failing.forget(e.keyId);
    this.o.onCreated(e.ref, e.keyId, file);
  }

  /** Fails every flush until the end of this event-loop turn (`abandonedInTurn`). */
  private abandonInTurn(error: CreationAbandonedError): void {
    if (this.abandonedInTurn) return;
    this.abandonedInTurn = error;
    // setImmediate: after every microtask of this turn (as failingCreations.ts).
    setImmediate(() => (this.abandonedInTurn = undefined));
  }

  /** Keeps `keyId` charged until the flush owning `holds` settles (once per flush). */
  private hold(holds: string[], keyId: string): void {
    if (holds.includes(keyId)) return;
    this.failing.hold(keyId);
    holds.push(keyId);
  }

  private durable(synced: readonly PendingEntry[], bad: ReadonlySet<PendingEntry>): void {
    for (const e of synced) if (!bad.has(e)) this.o.onDurable(e.keyId);
  }

  /** Rewrites the entries whose earlier sync failed; plans the fsyncs of the others. */
  private rewriteFailed(
    entries: readonly PendingEntry[],
    failures: unknown[],
    bad: Set<PendingEntry>,
  ): SyncPlan {
    const files: PendingEntry[] = [];
    const directories = new Map<string, PendingEntry[]>();
    for (const e of entries) {
      if (e.failed) {
        this.attempt(failures, bad, [e], () => {
          const lost = this.rewrite(e);
          if (lost) failures.push(lost); // not put back: the key is gone, nothing left to sync
        });
        continue;
      }
      files.push(e);
      for (const dir of entryDirectories(e.file)) {
        const list = directories.get(dir);
        if (list) list.push(e);
        else directories.set(dir, [e]);
      }
    }
    return { files, directories };
  }

  private attempt(
    failures: unknown[],
    bad: Set<PendingEntry>,
    covered: readonly PendingEntry[],
    fn: () => void,
  ): void {
    try {
      fn();
    } catch (error) {
      failures.push(error);
      for (const e of covered) bad.add(e);
    }
  }

  /**
   * After a failure: rewrites at once each entry whose fsync failed (left for the next flush, it would
   * stay undurable for as long as no batch comes, while another process's fsync of the same file may
   * report success without the data on disk); puts back, marked failed, those it could not rewrite
   * (unless a newer entry took their place); throws. The flush fails either way: it is retried.
   */
  private settle(failures: unknown[], bad: ReadonlySet<PendingEntry>): void {
    if (failures.length === 0) return;
    for (const e of bad) {
      if (!e.failed) {
        try {
          const lost = this.rewrite(e);
          if (lost) failures.push(lost);
          continue;
        } catch {
          // the store is locked, or the disk still fails: the next flush tries again
        }
      }
      const now = this.pending.get(e.ref);
      if (now === undefined || now.keyId === e.keyId) this.pending.set(e.ref, { ...e, failed: true });
    }
    const first = failures[0];
    throw first instanceof KeyStoreIoError
      ? first
      : new KeyStoreIoError(`key store: cannot sync a new key: ${String(first)}`, first);
  }

  /**
   * Under the store lock: the entry again, to a new synced file renamed over it, if it still holds the
   * key. Otherwise the key is forgotten and the error returned: records encrypted with it since its
   * sync failed (the cache still handed it out) must fail, not be stored undecryptable.
   */
  private rewrite(e: PendingEntry): KeyStoreIoError | undefined {
    return withStoreLock(this.o.directory, () => {
      const found = linksAndBytes(e.file, STORE_FILE_BYTES_MAX);
      const bytes = found?.bytes;
      // A writer's temporary name still linking it (its link has just landed) goes first: replaced
      // behind it, the writer's takeover would take the file its name still links for one never
      // linked (entryCreation.ts); with the name gone it reads the entry instead.
      if (found !== undefined && found.links > 1) removeTemporaryLinksOf(e.file, found.ino);
      let keyId: string | undefined;
      try {
        keyId = bytes === undefined ? undefined : parseEntryFile(bytes, e.file).keyId;
      } catch {
        keyId = undefined; // unreadable: not the key that was pending, as far as anyone can tell
      }
      if (bytes === undefined || keyId !== e.keyId) {
        this.o.onLost(e.ref);
        return new KeyStoreIoError(
          `key store: key ${e.keyId} was shredded or replaced before it could be made durable (${e.file}); what was encrypted with it is refused`,
        );
      }
      replaceFile(e.file, bytes); // fsyncs the new file and the entry's directory
      fsyncDirectory(path.dirname(path.dirname(e.file)));
      this.o.onDurable(e.keyId);
      return undefined;
    });
  }
}

/** Makes one entry durable, blocking: its file, its shard directory and `keys/`. */
export function syncEntrySync(syncer: EntrySyncer, file: string): void {
  syncer.fileSync(file);
  for (const dir of entryDirectories(file)) syncer.directorySync(dir);
}

/** The directories an entry's durability depends on: its shard directory and `keys/` (which holds the shard). */
function entryDirectories(file: string): [string, string] {
  const shard = path.dirname(file);
  return [shard, path.dirname(shard)];
}
