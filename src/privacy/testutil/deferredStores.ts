/** Test helpers for KeyStores opened with `deferSync`: a logging (and failing, and holding) syncer, stores. */
import path from 'node:path';
import { fsEntrySyncer, type EntrySyncer } from '../internal/entrySyncer.ts';
import { entryPath } from '../internal/keyStoreFormat.ts';
import { KeyStore, type DataKey, type KeyStoreOptions } from '../KeyStore.ts';
import { SecretKeyRing } from '../SecretKey.ts';
import { randomSecretKey } from './keys.ts';

export const master = randomSecretKey();

/** The real fsyncs, logged in call order ('file <path>' / 'dir <path>'); `fail` makes matching ones throw. */
export class LoggingSyncer implements EntrySyncer {
  readonly log: string[] = [];
  fail: ((what: string) => boolean) | undefined;
  /** While set, asynchronous syncs wait for it. */
  gate: Promise<void> | undefined;
  private enter: (() => void) | undefined;
  /** Resolves when an asynchronous sync next reaches the gate (the entries it covers are written). */
  entered(): Promise<void> {
    return new Promise<void>((r) => (this.enter = r));
  }
  /** Holds asynchronous syncs until the returned function is called. */
  hold(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise<void>((r) => (release = r));
    return () => release();
  }
  async file(file: string): Promise<void> {
    this.enter?.();
    await this.gate;
    this.run(`file ${file}`, () => fsEntrySyncer.fileSync(file));
  }
  async directory(dir: string): Promise<void> {
    this.enter?.();
    await this.gate;
    this.run(`dir ${dir}`, () => fsEntrySyncer.directorySync(dir));
  }
  fileSync(file: string): void {
    this.run(`file ${file}`, () => fsEntrySyncer.fileSync(file));
  }
  directorySync(dir: string): void {
    this.run(`dir ${dir}`, () => fsEntrySyncer.directorySync(dir));
  }
  private run(what: string, fn: () => void): void {
    if (this.fail?.(what)) throw Object.assign(new Error(`EIO: i/o error, fsync`), { code: 'EIO' });
    fn();
    this.log.push(what);
  }
}

/** A process that writes entries and never syncs them (its flush has not come yet, or it crashed). */
export const noSync: EntrySyncer = {
  file: async () => undefined,
  directory: async () => undefined,
  fileSync: () => undefined,
  directorySync: () => undefined,
};

export const fileOf = (store: KeyStore, subject: string): string =>
  entryPath(store.directory, store.subjectRef(subject));

/** Stores under `root` (each in a new directory unless one is given), with the master key `master`. */
export function deferredStores(root: string) {
  let n = 0;
  function open(
    syncer: EntrySyncer,
    directory = path.join(root, `store-${n++}`),
    more: Partial<KeyStoreOptions> = {},
  ): KeyStore {
    return KeyStore.open({
      directory,
      masterKeys: new SecretKeyRing([master], 'master'),
      create: true,
      deferSync: true,
      syncer,
      ...more,
    });
  }
  /** A store whose key cache entries expire after 1 s of `clock.nowMs`. */
  function openWithClock(syncer: EntrySyncer, clock: { nowMs: number }): KeyStore {
    return open(syncer, undefined, { cacheTtlMs: 1_000, nowMs: () => clock.nowMs });
  }
  /** Another deferring process's key for `subject`: linked in `directory`, not synced. */
  function linkedByAnother(directory: string, subject: string): DataKey {
    const other = open(noSync, directory);
    const key = other.keyForSubject(subject);
    other.flushPendingSync(); // writes the entry; this "process" syncs nothing
    return key;
  }
  return { open, openWithClock, linkedByAnother };
}
