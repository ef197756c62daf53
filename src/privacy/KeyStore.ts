/**
 * The key store of crypto-shredding: one data key per data subject, each
 * held encrypted ("wrapped") under a master key, in a directory.
 *
 * On disk (formats in internal/keyStoreFormat.ts):
 *   <dir>/store.json                   the index key, wrapped
 *   <dir>/keys/<ref[0..2]>/<ref>.json  one subject's current data key, wrapped
 *   <dir>/lock                         only while a shred or rewrap runs
 * `ref` = hex of the first 16 bytes of HMAC-SHA256(index key, subject): file
 * names and key ids do not reveal subjects to anyone without the master key.
 * A data key id is `<ref>.<12 random hex>`, so a subject whose key was
 * shredded and who comes back gets a NEW key id, and old ciphertexts are
 * recognisably shredded, not "tampered".
 *
 * Invariants and recovery:
 * - An entry is created once, by a no-clobber link. By default
 *   `keyForSubject` links it before it returns: two processes racing for the
 *   same subject both end up using the one that won.
 * - An entry is durable before anything encrypted with it is. By default
 *   `keyForSubject` makes it durable before it returns (createFileOnce:
 *   fsync, link, directory fsync: ~2 synchronous fsyncs per new subject; an
 *   entry it reads is fsynced too, with its directories: a deferring process
 *   may not have synced it yet).
 *   With `deferSync` (the `audit_encrypt` processor) a new key is returned at
 *   once, its entry not written yet: the next flush writes and links it on
 *   the thread pool (no file work on the record path: 0.5-2.5 ms of blocking
 *   metadata operations per new subject on a busy ext4 journal), then syncs
 *   it; entries it reads are registered as pending too (another process may
 *   not have synced them yet). The caller MUST call `flushPending()` (or
 *   `flushPendingSync()`) in the same event-loop turn as it got the keys of a
 *   batch (before yielding to I/O; microtasks are the same turn), and await
 *   it before anything encrypted with them is made durable — the pipeline
 *   does, through `RecordProcessor.flushBeforeExport` (PipelineConsumer: in
 *   the same synchronous call; the in-process writer: in the microtask that
 *   dispatches the batch). A key whose entry could not be written is written
 *   by every later flush and its subject refused until then
 *   (`KeyStoreWriteFailedError`); the same-turn rule is what lets flushes
 *   after that turn ignore its failures (internal/failingCreations.ts). If another process created the
 *   subject's key in between, the key is kept at its alternate name
 *   (`<key id>.json`, keyStoreFormat.ts): records were encrypted with it; it
 *   is found by id and shredded with the subject, and the subject's next
 *   record uses the other process's key. A key stays in memory (`creating`)
 *   until its entry is written, so the cache dropping it cannot make a
 *   second key for the subject; a failed write fails the flush and the next
 *   one writes it again (never given up: a batch flushing later may use it). Details and failure handling:
 *   internal/pendingEntries.ts, internal/entryCreation.ts.
 * - `shred` destroys the entry (and any alternate entries of the subject, and
 *   temporary files a crash left holding one of its keys) durably
 *   (overwrite, unlink, directory fsync) under the store lock.
 *   Nothing else can bring it back: no log of keys, no tombstone holding key
 *   material. Copies the operator made (backups,
 *   snapshots) are outside the store's reach — docs/privacy.md.
 * - A crash can leave an entry that was linked but never synced empty or
 *   zero-filled; `keyForSubject` removes such an entry (under the store lock)
 *   and creates a new key: nothing durable was encrypted with it.
 * - A running processor may use a cached key for up to `cacheTtlMs` after a
 *   shred by another process; values encrypted in that window are shredded too.
 *   With `deferSync`, a new key whose entry a flush writes after a shred of
 *   its subject (by another process) is not shredded: its records count as
 *   arriving after the shred, as records still queued at the time would.
 * - Master key rotation: entries name the master key that wrapped them; new
 *   entries use the ring's active key; `rewrap()` moves everything to it.
 * - The directory must support hard links (any local POSIX file system).
 * - A synchronous flush that takes over a creation whose thread-pool link is
 *   in flight fences that link first (internal/entryCreation.ts): no link of
 *   a key runs after a shred that destroyed it, so a shredded key cannot come
 *   back through this process's writing, nor after a crash (nothing to repair).
 * - `close(timeoutMs)` (the processor's shutdown): no new work from the call
 *   on (`KeyStoreClosedError`); flushes may still run until none runs, for at
 *   most `closeTimeoutMs` or `timeoutMs` (the time its shutdown has left),
 *   whichever ends first; no timer left.
 */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { TIMER_MS_MAX } from '../../config/duration.ts';
import { OtelAuditError } from '../errors.ts';
import { associatedData } from './aead.ts';
import {
  KeyStoreBacklogError,
  KeyStoreClosedError,
  KeyStoreCorruptError,
  KeyStoreIoError,
  KeyStoreWriteFailedError,
} from './errors.ts';
import {
  createFileOnce,
  destroyFile,
  destroyTemporaryHolding,
  ensureDirectory,
  isTemporaryName,
  isTornFile,
  listDirectory,
  makeDirectory,
  makeDirectoryAsync,
  readSmallFile,
} from './internal/durableFiles.ts';
import type { EntryCreation } from './internal/entryCreation.ts';
import { fsEntrySyncer, type EntrySyncer } from './internal/entrySyncer.ts';
import { KeyCache } from './internal/KeyCache.ts';
import {
  alternateEntryPath,
  DATA_KEY_ID_PATTERN,
  entryFileBytes,
  entryKeyIdMarker,
  entryPath,
  isAlternateEntryName,
  KEYS_DIR,
  parseEntryFile,
  parseStoreFile,
  STORE_FILE,
  STORE_FILE_BYTES_MAX,
  storeFileBytes,
  type EntryFile,
} from './internal/keyStoreFormat.ts';
import { unwrapKey, wrapKey } from './internal/keyWrap.ts';
import { PendingEntries, syncEntrySync } from './internal/pendingEntries.ts';
import { rewrapStore } from './internal/rewrap.ts';
import { withStoreLock } from './internal/storeLock.ts';
import { SECRET_KEY_BYTES, type SecretKeyRing } from './SecretKey.ts';

/** Destroys the entries of `ref` (its name, its alternate names) that hold only zeros (under the store lock). */
function destroyZeroFilledEntries(directory: string, ref: string): void {
  const shard = path.dirname(entryPath(directory, ref));
  const names = listDirectory(shard).filter((n) => n === `${ref}.json` || isAlternateEntryName(n, ref));
  for (const name of names) {
    const file = path.join(shard, name);
    let bytes: Buffer | undefined;
    try {
      bytes = readSmallFile(file, STORE_FILE_BYTES_MAX);
    } catch (error) {
      if (error instanceof KeyStoreCorruptError) continue; // too large: not zeros a shred wrote
      throw error;
    }
    if (bytes !== undefined && isTornFile(bytes)) destroyFile(file);
  }
}

/** The subject of records that have none (`missing_subject: default_key`). */
export const DEFAULT_SUBJECT: unique symbol = Symbol('default subject');
export type Subject = string | typeof DEFAULT_SUBJECT;

export interface DataKey {
  readonly id: string;
  readonly key: KeyObject;
}

export interface KeyStoreOptions {
  readonly directory: string;
  readonly masterKeys: SecretKeyRing;
  /** Create the directory and its index key when missing (the processor); otherwise it must exist. */
  readonly create: boolean;
  readonly cacheEntriesMax?: number;
  readonly cacheTtlMs?: number;
  readonly nowMs?: () => number;
  /**
   * Keys created (or read) by `keyForSubject` are not yet durable when it returns: `flushPending()`
   * makes them so, off the main thread. Default false: each new key is synced before it is returned.
   */
  readonly deferSync?: boolean;
  /** The fsyncs of deferred entries and of entries read (a seam for tests); default the real ones. */
  readonly syncer?: EntrySyncer;
  /**
   * Called with the file of an entry a crash left torn, removed so that its subject gets a new key:
   * an operator should hear of it (records that named the old key, if any, can no longer be read).
   */
  readonly onTornEntryRemoved?: (file: string) => void;
  /**
   * With `deferSync`: called with a failure no call returns as such (default: a process warning):
   * - the entry of a new key could not be written (`KeyStoreWriteFailedError`, once per key): its
   *   subject is refused until a flush writes it (internal/failingCreations.ts);
   * - `close()` gave up waiting for flushes still running (`closeTimeoutMs`, or its `timeoutMs`).
   */
  readonly onError?: (error: KeyStoreIoError) => void;
  /**
   * With `deferSync`: at most this many keys not yet known durable (created or read, pending, being
   * synced — by a flush still running, even after `flushPendingSync` did its work — or whose sync
   * failed and awaits its rewrite). Beyond it `keyForSubject` refuses a subject
   * whose key would add one — before writing anything — with `KeyStoreBacklogError` (retryable).
   * Default `PENDING_ENTRIES_MAX_DEFAULT`.
   */
  readonly pendingEntriesMax?: number;
  /**
   * With `deferSync`: how long `close()` waits for the flushes still running (a hung disk never ends
   * them) before it closes the store all the same and reports them through `onError`; a shorter
   * `close(timeoutMs)` (a shutdown's deadline) wins. Default `CLOSE_TIMEOUT_MS_DEFAULT`; 0 waits for none;
   * at most 2^31 - 1 (a timer's range).
   */
  readonly closeTimeoutMs?: number;
}

export const CACHE_ENTRIES_MAX_DEFAULT = 10_000;
export const CACHE_TTL_MS_DEFAULT = 60_000;
/**
 * Keys not yet known durable, at most (`KeyStoreOptions.pendingEntriesMax`): ~300 bytes each (the
 * entry; the key itself is in the bounded cache), ~20 MB in all. A healthy disk syncs them within a
 * flush (milliseconds), so only a disk whose syncs keep failing, or hang, reaches it.
 */
export const PENDING_ENTRIES_MAX_DEFAULT = 65_536;
/** `KeyStoreOptions.closeTimeoutMs`: a healthy disk ends a flush in milliseconds. */
export const CLOSE_TIMEOUT_MS_DEFAULT = 10_000;
const REF_CACHE_SUBJECT_LENGTH_MAX = 256;

export class KeyStore {
  readonly directory: string;
  private readonly masterKeys: SecretKeyRing;
  private readonly indexKey: KeyObject;
  private readonly cache: KeyCache;
  /**
   * Subject → ref, so a record's subject costs a Map lookup, not an HMAC
   * (~3 µs of `audit_encrypt`'s ~17 µs per record, --cpu-prof). Bounded like
   * the key cache (cleared when full); only subjects of at most
   * `REF_CACHE_SUBJECT_LENGTH_MAX` characters. The ref of a subject never
   * changes (it depends on the index key only), so shredding needs no
   * invalidation here.
   */
  private readonly refs = new Map<string, string>();
  private readonly refsMax: number;
  /** Shard directories known to exist (at most 256: two hex digits), so a new key costs no mkdir. */
  private readonly shards = new Set<string>();
  /**
   * Ids of keys this process made durable (with `deferSync`), so that a key the cache reloads after
   * its TTL is not synced again — every batch of known subjects would wait for fsyncs. A key id is
   * never reused (random part), and only `linkFileOnce` makes an entry that is not synced, at a name
   * that is free: an entry still holding the same id is still durable. Bounded like `refs`.
   */
  private readonly durableIds = new Set<string>();
  /**
   * New keys handed out whose entry is not written yet (only with `deferSync`), by ref: returned
   * for their subject (and id) until it is, whatever the cache dropped meanwhile.
   */
  private readonly creating = new Map<string, DataKey>();
  /**
   * Refs of keys in `creating` whose entry could not be written: their subject is refused
   * (`KeyStoreWriteFailedError`) until a flush writes it, the failure that refused it kept for the message.
   */
  private readonly refused = new Map<string, unknown>();
  private readonly onError: (error: KeyStoreIoError) => void;
  /** Entries not yet known durable (only with `deferSync`). */
  private readonly pending: PendingEntries | undefined;
  private readonly pendingMax: number;
  private readonly closeTimeoutMs: number;
  private readonly syncer: EntrySyncer;
  private readonly onTornEntryRemoved: ((file: string) => void) | undefined;
  /** `closing`: `close()` was called; `closed`: it has done its work (see `close`). */
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  /**
   * When `close()` stops waiting for flushes (`performance.now()` ms): the earliest end its calls asked for
   * (`closeTimeoutMs`, or a call's `timeoutMs`, from that call). `closeWaitMs`: that end, from the first call.
   */
  private closeEndsAtMs = Infinity;
  private closeStartedAtMs = 0;
  /** While `close()` waits for flushes: ends the wait (its bound reached); re-armed when the end moves. */
  private closeWake: (() => void) | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private abandoned = 0;

  private constructor(o: KeyStoreOptions, indexKey: KeyObject) {
    this.directory = o.directory;
    this.masterKeys = o.masterKeys;
    this.indexKey = indexKey;
    this.refsMax = o.cacheEntriesMax ?? CACHE_ENTRIES_MAX_DEFAULT;
    this.cache = new KeyCache(
      o.cacheEntriesMax ?? CACHE_ENTRIES_MAX_DEFAULT,
      o.cacheTtlMs ?? CACHE_TTL_MS_DEFAULT,
      // A duration (the TTL): the monotonic clock. On the wall clock a step back kept a key shredded by
      // another process (otel-audit keys shred) in use for the size of the step on top of the TTL.
      o.nowMs ?? (() => performance.now()),
    );
    this.syncer = o.syncer ?? fsEntrySyncer;
    this.onTornEntryRemoved = o.onTornEntryRemoved;
    this.onError = o.onError ?? ((error) => process.emitWarning(error.message, 'KeyStoreWarning'));
    this.pendingMax = o.pendingEntriesMax ?? PENDING_ENTRIES_MAX_DEFAULT;
    if (!Number.isSafeInteger(this.pendingMax) || this.pendingMax < 1) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `pendingEntriesMax must be a positive integer, not ${this.pendingMax}`,
      );
    }
    this.closeTimeoutMs = o.closeTimeoutMs ?? CLOSE_TIMEOUT_MS_DEFAULT;
    // At most a timer's range: beyond it Node fires the timer after 1 ms (close would not wait).
    if (
      !Number.isSafeInteger(this.closeTimeoutMs) ||
      this.closeTimeoutMs < 0 ||
      this.closeTimeoutMs > TIMER_MS_MAX
    ) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `closeTimeoutMs must be an integer from 0 to ${TIMER_MS_MAX}, not ${this.closeTimeoutMs}`,
      );
    }
    this.pending = o.deferSync
      ? new PendingEntries({
          directory: o.directory,
          syncer: this.syncer,
          onLost: (ref) => this.cache.delete(ref),
          onDurable: (keyId) => {
            if (this.durableIds.size >= this.refsMax) this.durableIds.clear();
            if (this.refsMax > 0) this.durableIds.add(keyId);
          },
          onCreated: (ref, keyId, file) => {
            if (this.creating.get(ref)?.id === keyId) {
              this.creating.delete(ref);
              this.refused.delete(ref);
            }
            // At its alternate name: another process's key is the subject's now.
            if (file !== entryPath(this.directory, ref)) this.cache.deleteKey(ref, keyId);
          },
          onCreateFailed: (ref, keyId, error) => {
            this.shards.delete(path.dirname(entryPath(this.directory, ref))); // removed by hand? made again
            // Still the subject's key (not shredded meanwhile): kept, its entry written by every flush,
            // and its subject refused until then (no more records encrypted with it: the batches that
            // did not use it need not wait for it, internal/failingCreations.ts).
            if (this.creating.get(ref)?.id !== keyId) return false;
            this.cache.delete(ref);
            if (!this.refused.has(ref)) {
              this.refused.set(ref, error);
              this.onError(
                new KeyStoreWriteFailedError(
                  `key store ${this.directory}: the entry of the new key ${keyId} could not be written (${String(error)}); records of its data subject are refused (retryable) until a flush writes it`,
                  error,
                ),
              );
            }
            return true;
          },
          ensureShard: (file) => this.ensureShard(path.dirname(file)),
          ensureShardSync: (file) => this.ensureShardSync(path.dirname(file)),
          onAbandoned: (ref, keyId) => {
            if (this.creating.get(ref)?.id === keyId) {
              this.creating.delete(ref);
              this.refused.delete(ref);
            }
            this.cache.deleteKey(ref, keyId); // the subject's next record gets a new key
          },
        })
      : undefined;
  }

  /** Opens (or, with `create`, creates) the store; unwraps its index key with the master keys. */
  static open(o: KeyStoreOptions): KeyStore {
    const file = path.join(o.directory, STORE_FILE);
    let bytes = readSmallFile(file, STORE_FILE_BYTES_MAX);
    if (bytes === undefined) {
      if (!o.create) {
        throw new OtelAuditError('INVALID_ARGUMENT', `${o.directory} is not a key store (no ${STORE_FILE})`);
      }
      ensureDirectory(o.directory);
      ensureDirectory(path.join(o.directory, KEYS_DIR));
      const master = o.masterKeys.active;
      const indexKey = wrapKey(master, randomBytes(SECRET_KEY_BYTES), ['index key']);
      createFileOnce(file, storeFileBytes({ masterKeyId: master.id, indexKey }));
      bytes = readSmallFile(file, STORE_FILE_BYTES_MAX) as Buffer; // ours, or a racing creator's
    }
    const store = parseStoreFile(bytes, file);
    const raw = unwrapKey(o.masterKeys, store.masterKeyId, store.indexKey, ['index key'], file);
    return new KeyStore(o, createSecretKey(raw));
  }

  /** The file-name reference of a subject (hex of 16 bytes of HMAC-SHA256 under the index key). */
  subjectRef(subject: Subject): string {
    if (typeof subject !== 'string' || subject.length > REF_CACHE_SUBJECT_LENGTH_MAX) {
      return this.computeRef(subject);
    }
    const cached = this.refs.get(subject);
    if (cached !== undefined) return cached;
    const ref = this.computeRef(subject);
    if (this.refs.size >= this.refsMax) this.refs.clear();
    if (this.refsMax > 0) this.refs.set(subject, ref);
    return ref;
  }

  private computeRef(subject: Subject): string {
    const input =
      subject === DEFAULT_SUBJECT
        ? associatedData('otel-audit default subject v1', [])
        : associatedData('otel-audit subject v1', [subject]);
    return createHmac('sha256', this.indexKey).update(input).digest('hex').slice(0, 32);
  }

  /**
   * The subject's current data key, created on first use: durably, or with `deferSync` durable only
   * once `flushPending()` has resolved (so is a key read from the store here).
   */
  keyForSubject(subject: Subject): DataKey {
    this.refuseIfClosing();
    const ref = this.subjectRef(subject);
    const cached = this.cache.get(ref);
    if (cached) return cached;
    const creating = this.creating.get(ref);
    if (creating) {
      if (this.refused.has(ref)) {
        // Its entry is written by any flush; this subject's batches fail before theirs: one is started
        // here (on the thread pool) unless one in flight is writing it already.
        if (this.pending?.has(ref)) void this.pending.flush().catch(() => undefined);
        throw new KeyStoreWriteFailedError(
          `key store ${this.directory}: the new key of this data subject (${creating.id}) could not be written (${String(this.refused.get(ref))}); its records are refused until a flush writes it`,
        );
      }
      this.cache.set(ref, creating);
      return creating;
    }
    const loaded = this.loadOrRemoveTorn(ref);
    if (loaded !== null) {
      // Another process may have linked it and not synced it yet (deferSync): sync it before use.
      // Measured (docs/privacy.md): +30-40 main-thread CPU-us per first read of a key in this process
      // (53-72 vs 23-33 us); kept: nothing in the file says whether its writer synced it.
      const file = entryPath(this.directory, ref);
      if (this.pending) {
        if (!this.durableIds.has(loaded.id)) {
          this.admitPending(ref); // throws before the key is cached: never used unsynced
          this.pending.add({ ref, file, keyId: loaded.id });
        }
      } else syncEntrySync(this.syncer, file);
    }
    const key = loaded ?? this.create(ref);
    this.cache.set(ref, key);
    return key;
  }

  /** True when a key `keyForSubject` returned may not be durable yet (only with `deferSync`). */
  get hasPending(): boolean {
    return this.pending?.any ?? false;
  }

  /**
   * Makes every key `keyForSubject` has returned so far durable (with `deferSync`; otherwise they
   * are already): an fsync of each new entry and one per directory, on the thread pool; also waits
   * for flushes already running. Rejects with `KeyStoreIoError` (retryable) when a sync fails: what
   * was encrypted with those keys must not be made durable; a later flush repairs or forgets them.
   */
  flushPending(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(this.closedError());
    return this.pending?.flush() ?? Promise.resolve();
  }

  /** `flushPending()`, blocking (for callers that cannot await); throws `KeyStoreIoError`. */
  flushPendingSync(): void {
    if (this.state === 'closed') throw this.closedError();
    this.pending?.flushSync();
  }

  /**
   * Closes the store (idempotent; the same promise each call). From the call on, `keyForSubject`,
   * `keyById`, `shred` and `rewrap` throw `KeyStoreClosedError`; flushes still run — the runner of a
   * batch processed before may flush it now — until the work of every flush has ended (with
   * `deferSync`; also of flushes a `flushPendingSync` took over, whose thread-pool work may still
   * run). From then on flushes are refused too (`KeyStoreClosedError`, retryable: what was processed
   * with the store's keys is not acknowledged). It resolves only when no flush runs (one started
   * while it waits is waited for too), or once it has waited `closeTimeoutMs` or `timeoutMs` (the
   * time a shutdown has left; Infinity, the default: none), whichever ends first — a hung disk: then
   * it closes all the same and reports the flushes still running through `onError` (and
   * `flushesAbandoned`); they answer their callers whenever they end. A later call may bring the end
   * forward, never push it back; one at or past its end stops the wait at once: the store closes in
   * the microtasks that follow, before any timer or immediate (a shutdown racing its deadline).
   */
  close(timeoutMs = Infinity): Promise<void> {
    if (!(timeoutMs >= 0)) {
      return Promise.reject(
        new OtelAuditError('INVALID_ARGUMENT', `close: timeoutMs must be at least 0, not ${timeoutMs}`),
      );
    }
    const now = performance.now();
    if (this.closing === undefined) this.closeStartedAtMs = now;
    const endsAtMs = now + Math.min(this.closeTimeoutMs, timeoutMs);
    if (endsAtMs < this.closeEndsAtMs) this.closeEndsAtMs = endsAtMs;
    // Also when the end did not move: it may have passed with the timer not fired yet (its clock is whole
    // ms of the event loop's): a call at or past the end ends the wait now, whichever end it asked for.
    if (this.closing !== undefined) this.armCloseTimer();
    this.closing ??= this.doClose();
    return this.closing;
  }

  /**
   * Flushes still running when `close()` stopped waiting for them (its bound reached: a hung disk):
   * the keys they write were not known durable then. 0 until then, and when none ran.
   */
  get flushesAbandoned(): number {
    return this.abandoned;
  }

  private async doClose(): Promise<void> {
    this.state = 'closing';
    const pending = this.pending;
    if (pending && pending.runningFlushes > 0) {
      let late = false;
      const bound = new Promise<void>((resolve) => {
        this.closeWake = () => {
          late = true;
          resolve();
        };
      });
      this.armCloseTimer();
      try {
        // Checked again after each wait (a flush can start between the end of `settled()` and this
        // continuation), in THIS function: no await from the last check to `closed`, so no flush can
        // start in between. (Behind `await` of another async function, it could: a microtask gap.)
        while (pending.runningFlushes > 0 && !late) await Promise.race([pending.settled(), bound]);
      } finally {
        clearTimeout(this.closeTimer);
        this.closeTimer = undefined;
        this.closeWake = undefined;
      }
      if (pending.runningFlushes > 0) {
        this.abandoned = pending.runningFlushes;
        const waitedMs = Math.round(performance.now() - this.closeStartedAtMs);
        this.onError(
          new KeyStoreIoError(
            `key store ${this.directory}: closed after waiting ${waitedMs} ms for ${pending.runningFlushes} flush(es) still running (a hung disk?; bound: closeTimeoutMs ${this.closeTimeoutMs} ms, or the time its shutdown had left): ${pending.size} key(s) not known durable; their callers are answered when they end (nothing encrypted with those keys is acknowledged before)`,
          ),
        );
      }
    }
    this.state = 'closed';
  }

  /** (Re-)arms the end of close's wait at `closeEndsAtMs`; at or past it, ends the wait now. */
  private armCloseTimer(): void {
    const wake = this.closeWake;
    if (wake === undefined) return; // not waiting (yet, or any more): doClose arms it when it waits
    clearTimeout(this.closeTimer);
    const ms = this.closeEndsAtMs - performance.now();
    if (ms <= 0) return wake();
    // Checked again when it fires: a timer counts in whole ms of the event loop's clock, so it can fire up
    // to 1 ms before `ms` have passed. At most closeTimeoutMs: within a timer's range.
    this.closeTimer = setTimeout(() => this.armCloseTimer(), Math.ceil(ms));
  }

  /** Throws `KeyStoreClosedError` once `close()` was called. */
  private refuseIfClosing(): void {
    if (this.state !== 'open') throw this.closedError();
  }

  private closedError(): KeyStoreClosedError {
    return new KeyStoreClosedError(`key store ${this.directory} is closed`);
  }

  /** The data key with `id`, or undefined when it was shredded (or never was in this store). */
  keyById(id: string): DataKey | undefined {
    this.refuseIfClosing();
    const ref = DATA_KEY_ID_PATTERN.exec(id)?.[1];
    if (ref === undefined) return undefined;
    const cached = this.cache.get(ref);
    if (cached?.id === id) return cached;
    const creating = this.creating.get(ref);
    if (creating?.id === id) return creating;
    let key: DataKey | null;
    try {
      key = this.load(ref);
    } catch (error) {
      // The subject's name unreadable (e.g. an entry a crash left torn, not removed yet by a
      // processor): a key at its alternate name is intact all the same.
      const alternate = error instanceof KeyStoreCorruptError ? this.loadAlternate(id) : undefined;
      if (alternate) return alternate;
      throw error;
    }
    if (key?.id !== id) {
      const alternate = this.loadAlternate(id);
      if (alternate) return alternate; // not the subject's key for new records: not cached
    }
    // The subject's key for new records is the one being created: the one read is not cached.
    if (creating) return key?.id === id ? key : undefined;
    // keyForSubject will take it from the cache: not durable yet, as far as this process knows.
    if (key !== null && this.pending && !this.durableIds.has(key.id)) {
      // At the bound: not cached (nor registered); keyForSubject reads it again and is refused.
      if (this.pendingFull(ref)) return key.id === id ? key : undefined;
      this.pending.add({ ref, file: entryPath(this.directory, ref), keyId: key.id });
    }
    this.cache.set(ref, key);
    return key?.id === id ? key : undefined;
  }

  /**
   * Destroys the subject's data key (and its alternate entries); returns its id, or undefined when
   * the subject had none. With `deferSync`, a new key of the subject whose entry is not written yet is
   * dropped too; while a flush in flight is writing it (it would be linked after the shred) the shred
   * fails with `KeyStoreIoError` (retryable) before destroying anything: shred again once that flush
   * has settled.
   */
  shred(subject: Subject): string | undefined {
    this.refuseIfClosing();
    const ref = this.subjectRef(subject);
    const writing = this.creating.get(ref);
    if (writing !== undefined && !(this.pending?.has(ref) ?? false)) {
      throw new KeyStoreIoError(
        `key store ${this.directory}: a new key of the subject (${writing.id}) is being written by a flush in flight; shred again once it has completed`,
      );
    }
    return withStoreLock(this.directory, () => {
      let keyId: string | undefined;
      try {
        keyId = this.readEntry(ref)?.keyId;
      } catch (error) {
        if (!(error instanceof KeyStoreCorruptError)) throw error;
        keyId = `${ref}.(unreadable)`; // destroyed all the same
      }
      let destroyed = destroyFile(entryPath(this.directory, ref));
      const shard = path.join(this.directory, KEYS_DIR, ref.slice(0, 2));
      let temporaries = 0;
      for (const name of listDirectory(shard)) {
        if (isAlternateEntryName(name, ref)) {
          keyId ??= name.slice(0, -'.json'.length);
          destroyed = destroyFile(path.join(shard, name)) || destroyed;
        } else if (isTemporaryName(name)) {
          // A crash can leave a copy of an entry under a temporary name (a rewrap or a rewrite
          // killed before its rename), and a processor's writing holds one until its link: the key
          // would survive the shred there.
          const file = path.join(shard, name);
          if (destroyTemporaryHolding(file, entryKeyIdMarker(ref), STORE_FILE_BYTES_MAX)) temporaries++;
        }
      }
      // A writer's link of a temporary file can run between its overwrite and its unlink above: the
      // zeros are then at an entry name too, which a reader takes for a damaged entry
      // ([undecryptable]) instead of a shredded key. Those names are looked at again, now that the
      // temporary name is gone (no link of it can follow): what holds only zeros is destroyed.
      if (temporaries > 0) destroyZeroFilledEntries(this.directory, ref);
      // A key whose entry is not written yet never will be: destroyed as well.
      const unwritten = this.creating.get(ref);
      this.creating.delete(ref);
      this.refused.delete(ref);
      this.cache.delete(ref);
      this.pending?.forget(ref); // destroyed durably: nothing left to sync
      return destroyed ? keyId : unwritten?.id;
    });
  }

  /** Re-wraps the index key and every data key under the active master key; returns how many files changed. */
  rewrap(): number {
    this.refuseIfClosing();
    return withStoreLock(this.directory, () => rewrapStore(this.directory, this.masterKeys));
  }

  /**
   * `load`, except that an entry a crash left empty or zero-filled (its sync never happened, so
   * nothing durable was encrypted with it; or a shred's overwrite whose unlink never happened) is
   * removed, under the store lock, and reads as none: the subject gets a new key instead of failing
   * every record for ever. Any other unreadable entry is still KeyStoreCorruptError.
   */
  private loadOrRemoveTorn(ref: string): DataKey | null {
    try {
      return this.load(ref);
    } catch (error) {
      if (!(error instanceof KeyStoreCorruptError)) throw error;
      const file = entryPath(this.directory, ref);
      const outcome = withStoreLock(this.directory, () => {
        const bytes = readSmallFile(file, STORE_FILE_BYTES_MAX);
        if (bytes === undefined) return 'gone'; // another process removed it meanwhile
        if (!isTornFile(bytes)) return 'unreadable';
        destroyFile(file);
        return 'removed';
      });
      if (outcome === 'unreadable') throw error;
      if (outcome === 'removed') this.onTornEntryRemoved?.(file);
      return this.load(ref); // null, or what another process created meanwhile
    }
  }

  /** The key `id` at its alternate name, or undefined. */
  private loadAlternate(id: string): DataKey | undefined {
    const file = alternateEntryPath(this.directory, id);
    const bytes = readSmallFile(file, STORE_FILE_BYTES_MAX);
    if (bytes === undefined) return undefined;
    const entry = parseEntryFile(bytes, file);
    if (entry.keyId !== id)
      throw new KeyStoreCorruptError(`key store file ${file}: holds key_id ${entry.keyId}`);
    const raw = unwrapKey(this.masterKeys, entry.masterKeyId, entry.wrapped, ['data key', entry.keyId], file);
    return { id: entry.keyId, key: createSecretKey(raw) };
  }

  private async ensureShard(shard: string): Promise<void> {
    if (this.shards.has(shard)) return;
    await makeDirectoryAsync(shard); // synced with the entry (pendingEntries.ts)
    this.shards.add(shard);
  }

  private ensureShardSync(shard: string): void {
    if (this.shards.has(shard)) return;
    makeDirectory(shard);
    this.shards.add(shard);
  }

  private load(ref: string): DataKey | null {
    const entry = this.readEntry(ref);
    if (entry === undefined) return null;
    const file = entryPath(this.directory, ref);
    const raw = unwrapKey(this.masterKeys, entry.masterKeyId, entry.wrapped, ['data key', entry.keyId], file);
    return { id: entry.keyId, key: createSecretKey(raw) };
  }

  private readEntry(ref: string): EntryFile | undefined {
    const file = entryPath(this.directory, ref);
    const bytes = readSmallFile(file, STORE_FILE_BYTES_MAX);
    if (bytes === undefined) return undefined;
    const entry = parseEntryFile(bytes, file);
    if (DATA_KEY_ID_PATTERN.exec(entry.keyId)?.[1] !== ref) {
      throw new KeyStoreCorruptError(`key store file ${file}: key_id ${entry.keyId} belongs to another file`);
    }
    return entry;
  }

  /** Throws `KeyStoreBacklogError` when registering `ref` as pending would exceed the bound. */
  private admitPending(ref: string): void {
    if (!this.pendingFull(ref)) return;
    throw new KeyStoreBacklogError(
      `key store ${this.directory}: ${this.pendingMax} keys are not yet durable (their syncs fail or have not completed); a new data subject is refused until they are`,
    );
  }

  private pendingFull(ref: string): boolean {
    const p = this.pending;
    return p !== undefined && !p.has(ref) && p.size >= this.pendingMax;
  }

  private create(ref: string): DataKey {
    this.admitPending(ref); // before anything is written
    const master = this.masterKeys.active;
    const keyId = `${ref}.${randomBytes(6).toString('hex')}`;
    const raw = randomBytes(SECRET_KEY_BYTES);
    const file = entryPath(this.directory, ref);
    const wrapped = wrapKey(master, raw, ['data key', keyId]);
    const bytes = entryFileBytes({
      keyId,
      masterKeyId: master.id,
      wrapped,
      created: new Date().toISOString(),
    });
    if (this.pending) {
      // The entry is written by the next flush, off the main thread (internal/entryCreation.ts).
      const key = { id: keyId, key: createSecretKey(raw) };
      const creation: EntryCreation = {
        bytes,
        alternateFile: alternateEntryPath(this.directory, keyId),
        state: 'queued',
      };
      this.pending.add({ ref, file, keyId, creation });
      this.creating.set(ref, key);
      return key;
    }
    ensureDirectory(path.dirname(file));
    const created = createFileOnce(file, bytes);
    const key = created ? { id: keyId, key: createSecretKey(raw) } : this.load(ref); // else another process won
    if (key === null) throw new KeyStoreIoError(`key store: ${file} vanished while it was created`);
    return key;
  }
}
