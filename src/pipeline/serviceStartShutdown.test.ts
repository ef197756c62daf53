/**
 * `Service.shutdown()` called while `start()` is still starting components (an application's own
 * SIGTERM handler, during start-up), in a real child process: the process must end — no component
 * started after the shutdown and left running (a listening socket keeps the process alive, accepting
 * requests it can only refuse) — and the WAL must be sealed and its lock released.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { Wal } from '../wal/Wal.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { fakeService } from '../../test/helpers/fakeService.ts';

const tmp = makeTempDir('otel-audit-start-shutdown-');
afterAll(() => tmp.cleanup());
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The child: builds a service; `shutdown()` is called as component `hooked` begins to start. */
function childScript(walDir: string, hooked: 'receivers' | 'exporters'): string {
  return `
import { resolveConfig } from '${ROOT}/config/resolve.ts';
import { createFactoryRegistry } from '${ROOT}/src/pipeline/registry.ts';
import { Service } from '${ROOT}/src/pipeline/Service.ts';
import { basicConfig, quietLogger as quiet } from '${ROOT}/test/helpers/startService.ts';
const registry = createFactoryRegistry();
const config = resolveConfig([{ kind: 'yaml', text: basicConfig(${JSON.stringify(walDir)}) }], {
  catalog: registry.catalog,
});
const service = Service.build({ config, registry, logger: quiet });
const component = [...service.${hooked}.values()][0];
const start = component.start.bind(component);
let stopped;
component.start = () => {
  const starting = start();
  stopped = service.shutdown(5000); // the signal arrives while the component is starting
  return starting;
};
const started = await service.start().then(() => 'started', (e) => 'start failed: ' + e.code);
const shutdown = await stopped.then(() => 'shut down', (e) => 'shutdown failed: ' + e.message);
console.log(JSON.stringify({ started, shutdown, phase: service.health().phase }));
`;
}

describe('Service: shutdown while starting', () => {
  const cases = [
    // The receiver binds its ports after its shutdown ran: the process never ended (the defect).
    { hooked: 'receivers', started: 'started' },
    // Nothing after the exporter starts; start() says why.
    { hooked: 'exporters', started: 'start failed: LIFECYCLE' },
  ] as const;
  for (const { hooked, started } of cases) {
    it(`during the ${hooked}' start: the child process ends by itself, the WAL is sealed, unlocked`, async () => {
      const walDir = path.join(tmp.dir, hooked);
      const script = path.join(tmp.dir, `${hooked}.ts`);
      writeFileSync(script, childScript(walDir, hooked));
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = await new Promise<number | string>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running 15 s after the shutdown');
        }, 15_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code ?? 'killed');
        });
      });
      expect({ exit, err, out }).toMatchObject({ exit: 0, err: '' });
      expect(JSON.parse(out)).toEqual({ started, shutdown: 'shut down', phase: 'stopped' });
      expect(openWalReadOnly({ dir: walDir }).report.corruptions).toEqual([]);
      const wal = Wal.open({ dir: walDir }); // the lock was released: a new writer opens it at once
      await wal.close();
    }, 30_000);
  }
});

describe('Service: shutdown while starting keeps to its deadline', () => {
  it("counts the wait for the component being started in the receivers' and the others' budgets", async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    try {
      // Nothing real runs: what the test looks at is the budget each stage is given.
      const { service, receiver, shutdowns } = fakeService(path.join(tmp.dir, 'deadline'));
      let bound: (() => void) | undefined;
      receiver.start = () => new Promise<void>((resolve) => (bound = resolve));

      const started = service.start().then(
        () => 'started',
        (e: unknown) => String(e),
      );
      await vi.advanceTimersByTimeAsync(0);
      expect(bound).toBeDefined(); // the receiver is starting
      const deadlineMs = 10_000;
      const stopped = service.shutdown(deadlineMs);
      await vi.advanceTimersByTimeAsync(4_000); // the receiver binds its ports 4 s into the shutdown
      bound?.();
      await vi.advanceTimersByTimeAsync(0);
      await stopped;
      await started;
      // Receivers get 60% of the deadline, the rest what is left of it: both counted from the shutdown
      // call, not from the end of the wait (then the whole could take 1.5 times the deadline).
      expect(shutdowns.receiver[0]).toBeLessThanOrEqual(0.6 * deadlineMs - 4_000);
      expect(shutdowns.exporter[0]).toBeLessThanOrEqual(deadlineMs - 4_000);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Service: the shutdown runs once', () => {
  it('shut down while starting, with components left to start: start() fails, the shutdown ran once', async () => {
    const { service, exporter, shutdowns } = fakeService(path.join(tmp.dir, 'once-during-start'));
    let stopped: Promise<void> | undefined;
    exporter.start = () => {
      stopped = service.shutdown(10_000); // the receiver is left to start: start() rejects (LIFECYCLE)
      return Promise.resolve();
    };
    await expect(service.start()).rejects.toMatchObject({ code: 'LIFECYCLE' });
    await stopped;
    // Old code: the failed start shut everything down a second time (2 and 2).
    expect(shutdowns).toEqual({ receiver: [expect.any(Number)], exporter: [expect.any(Number)] });
  });

  it('a start that failed (and cleaned up), then shutdown(): nothing is shut down twice', async () => {
    const { service, exporter, shutdowns } = fakeService(path.join(tmp.dir, 'once-after-failed-start'));
    exporter.start = () => Promise.reject(new Error('cannot open'));
    await expect(service.start()).rejects.toThrow('cannot open');
    await service.shutdown(10_000);
    expect(shutdowns.exporter).toHaveLength(1);
    expect(shutdowns.receiver).toHaveLength(1);
    await expect(service.start()).rejects.toMatchObject({ code: 'LIFECYCLE' });
  });

  it('a second shutdown() returns the same promise', async () => {
    const { service, shutdowns } = fakeService(path.join(tmp.dir, 'same-promise'));
    await service.start();
    const first = service.shutdown(10_000);
    expect(service.shutdown(10_000)).toBe(first);
    await first;
    expect(service.shutdown()).toBe(first);
    expect(shutdowns.exporter).toHaveLength(1);
  });
});

describe('Service: the earliest shutdown deadline wins', () => {
  /** Receiver's start hangs until `bind()`; Date and timers are fake. */
  async function startingService(
    name: string,
  ): Promise<ReturnType<typeof fakeService> & { bind: () => void }> {
    const fake = fakeService(path.join(tmp.dir, name));
    let bind: (() => void) | undefined;
    fake.receiver.start = () => new Promise<void>((resolve) => (bind = resolve));
    void fake.service.start().catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    if (bind === undefined) throw new Error('the receiver is not starting');
    return { ...fake, bind };
  }

  it('a later call with a longer deadline does not extend it', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    try {
      const { service, shutdowns, bind } = await startingService('earliest-longer');
      const stopped = service.shutdown(10_000);
      await vi.advanceTimersByTimeAsync(1_000);
      void service.shutdown(60_000); // e.g. a library's own shutdown hook, with its default deadline
      await vi.advanceTimersByTimeAsync(1_000);
      bind(); // 2 s into the shutdown
      await vi.advanceTimersByTimeAsync(0);
      await stopped;
      // Old code: the second call's 60 s replaced the first's 10 s: the receiver got 34,000 ms, the exporter 58,000.
      expect(shutdowns.receiver[0]).toBeLessThanOrEqual(0.6 * 10_000 - 2_000);
      expect(shutdowns.exporter[0]).toBeLessThanOrEqual(10_000 - 2_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a later call with a shorter deadline brings the end forward: the wait for the start, the budgets, the timeout', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] });
    try {
      const { service, exporter, shutdowns } = await startingService('earliest-shorter');
      exporter.shutdown = (ms) => (shutdowns.exporter.push(ms ?? NaN), new Promise<void>(() => undefined));
      const first = service.shutdown(30_000); // waits up to 15 s for the receiver's start, which hangs
      const firstOutcome = first.then(
        () => 'shut down',
        (e: unknown) => (e as { code?: string }).code,
      );
      await vi.advanceTimersByTimeAsync(1_000);
      expect(service.shutdown(4_000)).toBe(first); // ends 5 s after the first call
      // The wait for the start ends at half the new deadline (2.5 s), not at 15 s.
      await vi.advanceTimersByTimeAsync(1_600);
      expect(shutdowns.receiver).toEqual([500]); // 60% of 5 s is 3 s, past: the minimum
      expect(shutdowns.exporter).toEqual([2_500]); // what is left until 5 s
      // The exporter never finishes: its stage is cut at the (new) deadline, 5 s (and a 50 ms grace), and the
      // promise rejects naming it. Before the service bounded its stages, it rejected 5 s later, at 10 s.
      const outcomeNow = async (): Promise<unknown> => {
        await new Promise((resolve) => setImmediate(resolve)); // real: the service's own, queued before, has run
        return Promise.race([firstOutcome, Promise.resolve('pending')]);
      };
      await vi.advanceTimersByTimeAsync(2_400);
      expect(await outcomeNow()).toBe('pending');
      await vi.advanceTimersByTimeAsync(100);
      expect(await outcomeNow()).toBe('SHUTDOWN_TIMEOUT');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('Service: shutdown(Infinity)', () => {
  it('is no deadline (as Lifecycle takes it), not the 30 s default; NaN is the default', async () => {
    const none = fakeService(path.join(tmp.dir, 'infinity'));
    await none.service.start();
    await none.service.shutdown(Infinity);
    // Old code: Infinity was taken as "no call set a deadline": the receiver got 18,000 ms, the exporter ~30,000.
    expect(none.shutdowns.receiver).toEqual([Infinity]);
    expect(none.shutdowns.exporter).toEqual([Infinity]);
    const bad = fakeService(path.join(tmp.dir, 'nan'));
    await bad.service.start();
    await bad.service.shutdown(NaN);
    expect(bad.shutdowns.receiver[0]).toBeLessThanOrEqual(0.6 * 30_000);
    expect(bad.shutdowns.exporter[0]).toBeLessThanOrEqual(30_000);
  });
});
