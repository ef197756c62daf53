import path from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { resolveConfig } from '../../config/resolve.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import type { ProcessorFactory } from './factories.ts';
import { DEFAULT_SHUTDOWN_DEADLINE_MS } from './lifecycle.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import { BUILTIN_FACTORIES, createFactoryRegistry } from './registry.ts';
import { Service } from './Service.ts';

const tmp = makeTempDir('otel-audit-record-processor-');
afterAll(() => tmp.cleanup());
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** What the probe processors saw: `<id> <deadlineMs>` per shutdown call (`-` for no argument). */
type Calls = string[];

/**
 * A processor type for this test: `shutdown` picks how its instances declare `shutdown` (taking the
 * deadline, taking no parameter, or none at all); every call is recorded in `calls`.
 */
function probeFactory(calls: Calls): ProcessorFactory<{ shutdown: 'deadline' | 'no_parameter' | 'none' }> {
  return {
    type: 'shutdown_probe',
    kind: 'processor',
    configSchema: z.strictObject({ shutdown: z.enum(['deadline', 'no_parameter', 'none']) }),
    createDefaultConfig: () => ({ shutdown: 'deadline' }),
    create: (settings, config): RecordProcessor => {
      const base = { mutates: false, process: () => true };
      const record = (ms: number | undefined): Promise<void> => {
        calls.push(`${settings.id} ${ms === undefined ? '-' : String(ms)}`);
        return Promise.resolve();
      };
      if (config.shutdown === 'none') return base;
      if (config.shutdown === 'no_parameter') return { ...base, shutdown: () => record(undefined) };
      return { ...base, shutdown: (deadlineMs?: number) => record(deadlineMs) };
    },
  };
}

/** audit_sdk -> the three probes -> audit_wal, with the built-in factories and the probe's. */
function probedService(name: string, calls: Calls): Service {
  const registry = createFactoryRegistry([...BUILTIN_FACTORIES, probeFactory(calls)]);
  const walDir = path.join(tmp.dir, name);
  const config = resolveConfig(
    [
      {
        kind: 'yaml',
        text: `
receivers: { audit_sdk: }
processors:
  shutdown_probe/deadline: { shutdown: deadline }
  shutdown_probe/no_parameter: { shutdown: no_parameter }
  shutdown_probe/none: { shutdown: none }
exporters: { audit_wal: { directory: ${JSON.stringify(walDir)} } }
service:
  pipelines:
    logs:
      receivers: [audit_sdk]
      processors: [shutdown_probe/deadline, shutdown_probe/no_parameter, shutdown_probe/none]
      exporters: [audit_wal]
`,
      },
    ],
    { catalog: registry.catalog },
  );
  return Service.build({ config, registry, logger: quiet });
}

/** The deadline the processor `id` was given, from its one recorded call. */
function deadlineOf(calls: Calls, id: string): number {
  const mine = calls.filter((c) => c.startsWith(`${id} `));
  expect(mine).toHaveLength(1);
  return Number((mine[0] as string).slice(id.length + 1));
}

describe('RecordProcessor.shutdown', () => {
  it('takes the deadline (ms) as an optional parameter', () => {
    // Checked by `npm run typecheck`: with `shutdown?(): Promise<void>` the parameter list is [] and a
    // processor cannot be passed the deadline the service gives it (TS2554).
    expectTypeOf<Parameters<NonNullable<RecordProcessor['shutdown']>>>().toEqualTypeOf<
      [deadlineMs?: number]
    >();
  });

  it("is passed the processors' share of the deadline the service is shut down with", async () => {
    const calls: Calls = [];
    const service = probedService('deadline', calls);
    await service.start();
    const deadlineMs = 4_000;
    await service.shutdown(deadlineMs);
    // The processors' stage: until 80% of the way to the deadline from where it begins (at least 1 s).
    const got = deadlineOf(calls, 'shutdown_probe/deadline');
    expect(got).toBeGreaterThanOrEqual(1_000);
    expect(got).toBeLessThanOrEqual(0.8 * deadlineMs);
  });

  it("is passed a share of the service's default deadline when shutdown() is given none", async () => {
    const calls: Calls = [];
    const service = probedService('default', calls);
    await service.start();
    await service.shutdown();
    const got = deadlineOf(calls, 'shutdown_probe/deadline');
    expect(got).toBeLessThanOrEqual(0.8 * DEFAULT_SHUTDOWN_DEADLINE_MS);
    expect(got).toBeGreaterThan(0.8 * DEFAULT_SHUTDOWN_DEADLINE_MS - 5_000); // not a fixed short default
  });

  it('may ignore the deadline or be left out: those processors are shut down too, without error', async () => {
    const calls: Calls = [];
    const service = probedService('optional', calls);
    await service.start();
    await expect(service.shutdown(4_000)).resolves.toBeUndefined();
    expect(calls.filter((c) => c.startsWith('shutdown_probe/no_parameter '))).toEqual([
      'shutdown_probe/no_parameter -',
    ]);
    expect(service.health().phase).toBe('stopped');
  });
});
