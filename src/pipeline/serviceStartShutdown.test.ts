/**
 * `Service.shutdown()` called while `start()` is still starting components (an application's own
 * SIGTERM handler, during start-up), in a real child process: the process must end — no component
 * started after the shutdown and left running (a listening socket keeps the process alive, accepting
 * requests it can only refuse) — and the WAL must be sealed and its lock released.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { Wal } from '../wal/Wal.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';

const tmp = makeTempDir('otel-audit-start-shutdown-');
afterAll(() => tmp.cleanup());
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The child: builds a service; `shutdown()` is called as component `hooked` begins to start. */
function childScript(walDir: string, hooked: 'receivers' | 'exporters'): string {
  return `
import { resolveConfig } from '${ROOT}/config/resolve.ts';
import { createFactoryRegistry } from '${ROOT}/src/pipeline/registry.ts';
import { Service } from '${ROOT}/src/pipeline/Service.ts';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const registry = createFactoryRegistry();
const config = resolveConfig([{ kind: 'yaml', text: \`
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal: { directory: ${walDir} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
\` }], { catalog: registry.catalog });
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
