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
import { resolveConfig } from '../../config/resolve.ts';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { Wal } from '../wal/Wal.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { createFactoryRegistry } from './registry.ts';
import { Service } from './Service.ts';

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
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    try {
      const registry = createFactoryRegistry();
      const config = resolveConfig(
        [
          {
            kind: 'yaml',
            text: `
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: ${path.join(tmp.dir, 'deadline')} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`,
          },
        ],
        { catalog: registry.catalog },
      );
      const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
      const service = Service.build({ config, registry, logger: quiet });
      const receiver = [...service.receivers.values()][0];
      const exporter = [...service.exporters.values()][0];
      if (receiver === undefined || exporter === undefined) throw new Error('no receiver or exporter');
      // Nothing real runs: what the test looks at is the budget each stage is given.
      let bound: (() => void) | undefined;
      const given: { receiver?: number; exporter?: number } = {};
      receiver.start = () => new Promise<void>((resolve) => (bound = resolve));
      receiver.shutdown = (ms) => ((given.receiver = ms), Promise.resolve());
      exporter.start = () => Promise.resolve();
      exporter.shutdown = (ms) => ((given.exporter = ms), Promise.resolve());

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
      expect(given.receiver).toBeLessThanOrEqual(0.6 * deadlineMs - 4_000);
      expect(given.exporter).toBeLessThanOrEqual(deadlineMs - 4_000);
    } finally {
      vi.useRealTimers();
    }
  });
});
