/**
 * `audit_encrypt`: AES-256-GCM of the body and/or chosen attributes under the
 * data subject's key from the key store (src/privacy/KeyStore.ts), each value
 * replaced by `enc:v1:<data key id>:<sealed>` (src/privacy/encryptedValue.ts),
 * bound to its field path and the record's time.
 *
 * The subject is read BEFORE anything is encrypted (the subject attribute may
 * itself be encrypted). Its key is looked up only when a record has something
 * to encrypt; a subject's first key is created in memory, with no file work
 * on the record path: the key store writes and syncs new keys (all of a
 * batch's, in parallel, on the thread pool) in `flushBeforeExport`, which the
 * pipeline awaits before the batch reaches an exporter — a key is durable
 * before anything encrypted with it is. A key store failure (disk full, a
 * failed fsync) rejects the batch as retryable; a subject-less record under
 * `missing_subject: refuse` rejects it as permanent.
 */
import path from 'node:path';
import { OtelAuditError } from '../../src/errors.ts';
import { PermanentError } from '../../src/pipeline/consumer.ts';
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import { Lifecycle, type ShutdownDeadline } from '../../src/pipeline/lifecycle.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import { encryptValue, parseEncryptedValue } from '../../src/privacy/encryptedValue.ts';
import { valueAtPath } from '../../src/privacy/fieldPath.ts';
import { KeyStoreIoError } from '../../src/privacy/errors.ts';
import { keyProviders } from '../../src/privacy/keyConfig.ts';
import { loadKeyRing } from '../../src/privacy/KeyProvider.ts';
import { DEFAULT_SUBJECT, KeyStore, type DataKey, type Subject } from '../../src/privacy/KeyStore.ts';
import { rewriteAttributePath, rewriteBodyPath } from '../../src/privacy/rewriteRecord.ts';
import type { AnyValue } from '../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import type { AuditEncryptConfig } from './config.ts';

export class EncryptProcessor implements RecordProcessor {
  readonly mutates = true;
  private readonly settings: CreateSettings;
  private readonly config: AuditEncryptConfig;
  private readonly lifecycle: Lifecycle;
  private store: KeyStore | undefined;
  /**
   * Kept after shutdown: a batch processed before it is flushed by its runner, maybe while the store
   * closes (flushes run until those in flight have ended); once closed, a flush with keys still
   * pending is refused (KeyStoreClosedError, retryable): those records are not acknowledged.
   */
  private syncing: KeyStore | undefined;
  private opening: Promise<void> | undefined;

  constructor(settings: CreateSettings, config: AuditEncryptConfig) {
    this.settings = settings;
    this.config = config;
    this.lifecycle = new Lifecycle(
      () => (this.opening = this.open()),
      (deadline) => this.stop(deadline),
    );
  }

  /**
   * After the last flush: waits for the flushes still running, at most `close_timeout_ms` or until the
   * shutdown's deadline, whichever comes first (a later shutdown call bringing the deadline forward
   * counts); no timer left. Flushes given up on (a hung disk) are logged by the store, and the shutdown
   * rejects (`KEY_STORE_IO`) naming them — at the deadline, not after it: the records encrypted with
   * their keys are not acknowledged until those flushes end.
   */
  private async stop(deadline: ShutdownDeadline): Promise<void> {
    this.store = undefined; // process() refuses from now on
    await this.opening?.catch(() => undefined); // a store being opened is closed too
    this.store = undefined;
    const store = this.syncing;
    if (store === undefined) return;
    // At the deadline the store stops waiting in the same call: this shutdown settles (microtasks)
    // before Lifecycle's SHUTDOWN_TIMEOUT (setImmediate), with what it gave up on.
    const cancel = deadline.onExpiry(() => void store.close(0));
    try {
      await store.close(deadline.remainingMs());
    } finally {
      cancel();
    }
    if (store.flushesAbandoned > 0) {
      throw new KeyStoreIoError(
        `${this.settings.id}: shut down with ${store.flushesAbandoned} key store flush(es) still running (a hung disk?): the keys they write are not known durable, and nothing encrypted with them is acknowledged before they end`,
      );
    }
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  shutdown(deadlineMs?: number): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  process(view: MutableLogRecordView): boolean {
    const store = this.store;
    if (store === undefined) throw new OtelAuditError('LIFECYCLE', `${this.settings.id}: not started`);
    const subject = this.subjectOf(view);
    let dataKey: DataKey | undefined;
    const key = (): DataKey => (dataKey ??= store.keyForSubject(this.requireSubject(subject)));
    const timeUnixNano = view.timeUnixNano;
    const encrypt = (value: AnyValue, fieldPath: readonly string[]): AnyValue | undefined => {
      if (typeof value === 'string' && parseEncryptedValue(value) !== undefined) return undefined;
      const k = key();
      return encryptValue(value, k.id, k.key, { path: fieldPath, timeUnixNano });
    };
    for (const p of this.config.attributes) rewriteAttributePath(view, p, encrypt);
    if (this.config.body) {
      const body = view.getBody();
      if (body !== undefined) {
        const encrypted = encrypt(body, ['body']);
        if (encrypted !== undefined) view.setBody(encrypted);
      }
    }
    for (const p of this.config.body_paths) rewriteBodyPath(view, p, encrypt);
    return true;
  }

  flushBeforeExport(): Promise<void> | undefined {
    const store = this.syncing;
    return store?.hasPending ? store.flushPending() : undefined;
  }

  flushBeforeExportSync(): void {
    const store = this.syncing;
    if (store?.hasPending) store.flushPendingSync();
  }

  /** The subject: a non-empty string, or an int in decimal; undefined when there is none. */
  private subjectOf(view: MutableLogRecordView): string | undefined {
    if (this.config.subject_attribute === '') return undefined;
    const path = this.config.subject_attribute;
    // An attribute named by the whole path wins (fieldPath.ts, rule 1): read it alone, without
    // converting every attribute (view.attributes() copies them all on the SDK path); only a
    // dotted path can name a nested value.
    const value =
      view.getAttribute(path) ?? (path.includes('.') ? valueAtPath(view.attributes(), path) : undefined);
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'bigint') return value.toString();
    return undefined;
  }

  private requireSubject(subject: string | undefined): Subject {
    if (subject !== undefined) return subject;
    if (this.config.missing_subject === 'default_key') return DEFAULT_SUBJECT;
    throw new PermanentError(
      `${this.settings.id}: record has no data subject (attribute "${this.config.subject_attribute}") and missing_subject is refuse`,
    );
  }

  private async open(): Promise<void> {
    const { id, baseDir } = this.settings;
    const { key_store: ks, key_cache: cache } = this.config;
    const masterKeys = await loadKeyRing(keyProviders(ks.master_keys, baseDir), `${id}: master`);
    this.store = this.syncing = KeyStore.open({
      directory: path.resolve(baseDir, ks.directory),
      masterKeys,
      create: true,
      cacheEntriesMax: cache.entries_max,
      cacheTtlMs: cache.ttl,
      closeTimeoutMs: this.config.close_timeout_ms,
      deferSync: true, // synced in flushBeforeExport, before the records reach an exporter
      onTornEntryRemoved: (file) =>
        this.settings.logger.warn(
          `${id}: key store entry ${file} was left empty or zero-filled by a crash; removed, its subject gets a new key (records that named the old key, if any, cannot be decrypted)`,
        ),
      // A new key's entry that could not be written (its subject refused until a flush writes it),
      // or close() giving up on flushes still running after its timeout (a hung disk).
      onError: (error) => this.settings.logger.error(`${id}: ${error.message}`),
    });
    const c = this.config;
    if (!c.body && c.body_paths.length === 0 && c.attributes.length === 0) {
      this.settings.logger.warn(
        `${id}: nothing to encrypt configured (body, body_paths, attributes); records pass unchanged`,
      );
    }
  }
}
