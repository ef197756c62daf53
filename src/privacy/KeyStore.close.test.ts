/**
 * KeyStore.close with deferSync: it resolves only when no flush runs (also one started at the last
 * moment, after `settled()` found none), and no later than `closeTimeoutMs` or its `timeoutMs`, whichever
 * ends first (the earliest of its calls), when a flush never ends (a hung disk: the syncer's fsyncs
 * held), reporting those flushes through `onError` and `flushesAbandoned`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TIMER_MS_MAX } from '../../config/duration.ts';
import { OtelAuditError } from '../errors.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStoreClosedError, KeyStoreIoError } from './errors.ts';
import type { PendingEntries } from './internal/pendingEntries.ts';
import { CLOSE_TIMEOUT_MS_DEFAULT } from './KeyStore.ts';
import { deferredStores, LoggingSyncer } from './testutil/deferredStores.ts';

const tmp = makeTempDir('otel-audit-keystore-close-');
afterAll(() => tmp.cleanup());
const { open } = deferredStores(tmp.dir);

describe('KeyStore.close', () => {
  it('a flush started after the flushes in flight have settled, before close goes on, is waited for too', async () => {
    const syncer = new LoggingSyncer();
    const store = open(syncer);
    store.keyForSubject('ada');
    const releaseFirst = syncer.hold();
    const first = store.flushPending(); // held at its fsyncs
    store.keyForSubject('bob'); // pending: the next flush's
    // A direct user of the store flushes in the gap between `settled()` finding nothing running and
    // close's continuation (the first time only): played by wrapping `settled`.
    const pending = (store as unknown as { pending: PendingEntries }).pending;
    const settled = pending.settled.bind(pending);
    let late: Promise<void> | undefined;
    let lateEnded = false;
    let releaseLate = (): void => undefined;
    (pending as { settled: () => Promise<void> }).settled = async () => {
      await settled();
      if (late !== undefined) return;
      releaseLate = syncer.hold();
      late = store.flushPending().finally(() => (lateEnded = true));
    };
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    releaseFirst();
    await first;
    await sleep(50); // the late flush runs, held at its fsyncs: close must not have resolved
    expect(late).toBeDefined();
    expect(closed).toBe(false);
    releaseLate();
    await closing;
    expect(lateEnded).toBe(true); // resolved only once nothing ran
    await late;
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreClosedError);
  });

  // The gap is a few microtasks wide (the end of close's wait, then its own continuation): a flush is
  // started at each depth after the flushes in flight have settled, one depth per test.
  for (const depth of [1, 2, 3, 4, 5, 6, 8]) {
    it(`a flush started ${depth} microtask(s) after the flushes in flight settled is waited for, or refused`, async () => {
      const syncer = new LoggingSyncer();
      const store = open(syncer);
      store.keyForSubject('ann');
      const releaseFirst = syncer.hold();
      const first = store.flushPending();
      store.keyForSubject('ben');
      const pending = (store as unknown as { pending: PendingEntries }).pending;
      const settled = pending.settled.bind(pending);
      let late: Promise<void> | undefined;
      let lateEnded = false;
      let releaseLate = (): void => undefined;
      (pending as { settled: () => Promise<void> }).settled = async () => {
        await settled();
        if (late !== undefined) return;
        late = Promise.resolve(); // once
        let n = depth;
        const tick = (): void => {
          if (--n > 0) return queueMicrotask(tick);
          releaseLate = syncer.hold();
          late = store.flushPending().finally(() => (lateEnded = true));
          late.catch(() => undefined);
        };
        queueMicrotask(tick);
      };
      let closed = false;
      const closing = store.close().then(() => (closed = true));
      releaseFirst();
      await first;
      await sleep(30);
      const refused = await Promise.race([
        late?.then(
          () => false,
          (e: unknown) => e instanceof KeyStoreClosedError,
        ),
        sleep(0).then(() => false),
      ]);
      if (!refused) expect(closed).toBe(lateEnded); // close resolved only if the late flush has ended
      releaseLate();
      await closing;
      await late?.catch(() => undefined);
      expect(lateEnded).toBe(true);
    });
  }

  it('a flush that never ends (a hung disk): close resolves after closeTimeoutMs and reports it; the store is closed', async () => {
    const syncer = new LoggingSyncer();
    const errors: KeyStoreIoError[] = [];
    const store = open(syncer, undefined, { closeTimeoutMs: 80, onError: (e) => errors.push(e) });
    store.keyForSubject('cyd');
    const release = syncer.hold(); // every asynchronous fsync waits: the flush hangs
    let flushEnded = false;
    const hung = store.flushPending().finally(() => (flushEnded = true));
    const started = performance.now();
    await store.close();
    const waitedMs = performance.now() - started;
    expect(waitedMs).toBeGreaterThanOrEqual(75);
    expect(waitedMs).toBeLessThan(5_000);
    expect(flushEnded).toBe(false);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KeyStoreIoError);
    const waited = /closed after waiting (\d+) ms for 1 flush\(es\) still running/.exec(
      errors[0]?.message ?? '',
    );
    expect(Number(waited?.[1])).toBeGreaterThanOrEqual(75);
    expect(errors[0]?.message).toMatch(/closeTimeoutMs 80 ms.*: 1 key\(s\) not known durable/);
    expect(store.flushesAbandoned).toBe(1);
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreClosedError);
    expect(() => store.keyForSubject('dan')).toThrow(KeyStoreClosedError);
    release(); // the disk comes back: the flush answers its caller
    await hung;
    expect(errors).toHaveLength(1);
  });

  it('nothing running: resolves at once, nothing reported; closeTimeoutMs must be a non-negative integer', async () => {
    const errors: KeyStoreIoError[] = [];
    const store = open(new LoggingSyncer(), undefined, { closeTimeoutMs: 0, onError: (e) => errors.push(e) });
    store.keyForSubject('eve');
    await store.flushPending();
    await store.close();
    expect(errors).toEqual([]);
    expect(CLOSE_TIMEOUT_MS_DEFAULT).toBe(10_000);
    for (const closeTimeoutMs of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => open(new LoggingSyncer(), undefined, { closeTimeoutMs })).toThrow(OtelAuditError);
  });

  it("closeTimeoutMs beyond a timer's range is refused (Node would fire it after 1 ms: close would not wait)", () => {
    expect(() => open(new LoggingSyncer(), undefined, { closeTimeoutMs: TIMER_MS_MAX + 1 })).toThrow(
      /closeTimeoutMs/,
    );
    expect(() => open(new LoggingSyncer(), undefined, { closeTimeoutMs: TIMER_MS_MAX })).not.toThrow();
  });

  /** A store with one flush held at its fsyncs (a hung disk): `release` lets it end. */
  function hungStore(more: Parameters<typeof open>[2] = {}) {
    const syncer = new LoggingSyncer();
    const errors: KeyStoreIoError[] = [];
    const store = open(syncer, undefined, { onError: (e) => errors.push(e), ...more });
    store.keyForSubject('fay');
    const release = syncer.hold();
    let flushEnded = false;
    const flush = store.flushPending().finally(() => (flushEnded = true));
    return { store, errors, release, flush, flushEnded: () => flushEnded };
  }

  const timed = async (p: Promise<unknown>): Promise<number> => {
    const started = performance.now();
    await p;
    return performance.now() - started;
  };

  it('close(timeoutMs) shorter than closeTimeoutMs (the time a shutdown has left) wins, and reports what it gave up on', async () => {
    const { store, errors, release, flush, flushEnded } = hungStore(); // closeTimeoutMs: the default 10 s
    const waitedMs = await timed(store.close(60));
    expect(waitedMs).toBeGreaterThanOrEqual(55);
    expect(waitedMs).toBeLessThan(CLOSE_TIMEOUT_MS_DEFAULT / 2);
    expect(flushEnded()).toBe(false); // nothing it writes is claimed durable
    expect(store.flushesAbandoned).toBe(1);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /closed after waiting \d+ ms for 1 flush\(es\) still running.*1 key\(s\) not known durable/,
      ),
    ]);
    await expect(store.flushPending()).rejects.toBeInstanceOf(KeyStoreClosedError);
    release();
    await flush; // the disk comes back: the flush answers its caller (its key is durable now)
    expect(store.flushesAbandoned).toBe(1);
  });

  it('closeTimeoutMs shorter than close(timeoutMs) wins', async () => {
    const { store, errors, release, flush } = hungStore({ closeTimeoutMs: 60 });
    const waitedMs = await timed(store.close(60_000));
    expect(waitedMs).toBeGreaterThanOrEqual(55);
    expect(waitedMs).toBeLessThan(5_000);
    expect(errors).toHaveLength(1);
    release();
    await flush;
  });

  it('the earliest end of the close calls wins: a later close(0) ends the wait in the call, a later longer one does not push it back', async () => {
    const a = hungStore();
    const closing = a.store.close(); // 10 s
    await sleep(20);
    expect(a.errors).toEqual([]);
    const again = a.store.close(0);
    expect(again).toBe(closing);
    // Closed in the microtasks that follow the call, before any timer or immediate (a shutdown's own
    // SHUTDOWN_TIMEOUT comes in a setImmediate).
    const immediate = new Promise<string>((r) => setImmediate(() => r('immediate first')));
    expect(await Promise.race([closing.then(() => 'closed first'), immediate])).toBe('closed first');
    expect(a.errors).toHaveLength(1);
    expect(a.store.flushesAbandoned).toBe(1);
    a.release();
    await a.flush;

    const b = hungStore();
    const first = b.store.close(80);
    void b.store.close(60_000);
    expect(await timed(first)).toBeLessThan(5_000);
    expect(b.errors).toHaveLength(1);
    b.release();
    await b.flush;
  });

  it('a close call once the end has passed, its timer not fired yet, ends the wait in the call', async () => {
    const { store, errors, release, flush } = hungStore();
    const closing = store.close(50);
    // 100 ms later by the clock, before the timer's turn (a loaded event loop): e.g. the shutdown's own
    // deadline timer firing first and calling close(0).
    const now = performance.now() + 100;
    const clock = vi.spyOn(performance, 'now').mockReturnValue(now);
    try {
      void store.close(0);
      const immediate = new Promise<string>((r) => setImmediate(() => r('immediate first')));
      expect(await Promise.race([closing.then(() => 'closed first'), immediate])).toBe('closed first');
    } finally {
      clock.mockRestore();
    }
    expect(errors).toHaveLength(1);
    release();
    await flush;
  });

  it('a flush that ends within close(timeoutMs): waited for, nothing given up; a bad timeoutMs is refused', async () => {
    const { store, errors, release, flush, flushEnded } = hungStore();
    const closing = store.close(5_000);
    await sleep(20);
    release();
    await closing;
    expect(flushEnded()).toBe(true);
    await flush;
    expect(errors).toEqual([]);
    expect(store.flushesAbandoned).toBe(0);
    const other = open(new LoggingSyncer());
    for (const timeoutMs of [-1, Number.NaN])
      await expect(other.close(timeoutMs)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await other.close(0);
  });
});
