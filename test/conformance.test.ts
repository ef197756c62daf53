/**
 * The shared conformance test over every registered component (the
 * Collector's generated component tests): schema rules, default config
 * without side effects, idempotent lifecycle, shutdown without start, and
 * shutdown within its deadline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../config/checkComponentSchema.ts';
import { mergeWithDefaults } from '../config/internal/merge.ts';
import type { AnyFactory, CreateSettings } from '../src/pipeline/factories.ts';
import type { LogsConsumer } from '../src/pipeline/consumer.ts';
import { BUILTIN_FACTORIES } from '../src/pipeline/registry.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';

const tmp = makeTempDir('otel-audit-conformance-');
afterAll(() => tmp.cleanup());

const logged: string[] = [];
function settings(id: string): CreateSettings {
  return {
    id,
    baseDir: tmp.dir,
    logger: { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(m) },
  };
}

/** Default configs that would touch shared places get a private one here (only paths change). */
function configFor(f: AnyFactory, n: number): unknown {
  const c = f.createDefaultConfig() as Record<string, unknown>;
  const example = f.exampleConfig ? mergeWithDefaults(c, f.exampleConfig()) : c;
  if (f.type === 'audit_wal') return { ...(example as object), directory: `wal-${n}` };
  return example;
}

const nullConsumer: LogsConsumer = { consumeLogs: async () => undefined };

interface Lifecycled {
  start?(): Promise<void>;
  shutdown?(deadlineMs?: number): Promise<void>;
}

function create(f: AnyFactory, n: number): Lifecycled {
  const config = f.configSchema.parse(configFor(f, n));
  switch (f.kind) {
    case 'receiver':
      return f.create(settings(`${f.type}/c${n}`), config, nullConsumer);
    case 'processor':
      return f.create(settings(`${f.type}/c${n}`), config);
    case 'exporter':
      return f.create(settings(`${f.type}/c${n}`), config);
    case 'extension':
      return f.create(settings(`${f.type}/c${n}`), config);
  }
}

let counter = 0;

describe.each(BUILTIN_FACTORIES.map((f) => [`${f.kind} ${f.type}`, f] as const))(
  'component %s',
  (_name, f) => {
    it('has a schema that follows the contract and a complete default config', () => {
      expect(checkComponentSchema(f)).toEqual([]);
      const complete = f.exampleConfig
        ? mergeWithDefaults(f.createDefaultConfig(), f.exampleConfig())
        : f.createDefaultConfig();
      expect(() => f.configSchema.parse(complete)).not.toThrow();
    });

    it('rejects an unknown config key by name', () => {
      const bad = { ...(f.createDefaultConfig() as object), no_such_key_xyz: 1 };
      const r = f.configSchema.safeParse(bad);
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues)).toContain('no_such_key_xyz');
    });

    it('starts and shuts down idempotently', async () => {
      const c = create(f, counter++);
      await Promise.all([c.start?.(), c.start?.()]);
      await c.start?.();
      await Promise.all([c.shutdown?.(5000), c.shutdown?.(5000)]);
      await c.shutdown?.(5000);
    });

    it('shuts down without having started', async () => {
      const c = create(f, counter++);
      await c.shutdown?.(5000);
    });

    it('cannot be restarted after shutdown', async () => {
      const c = create(f, counter++);
      if (!c.start) return; // stateless processors have no lifecycle
      await c.shutdown?.(5000);
      await expect(c.start()).rejects.toMatchObject({ code: 'LIFECYCLE' });
    });
  },
);

describe('registry', () => {
  it('registers every component once, with every kind represented in the catalog types', () => {
    const seen = new Set<string>();
    for (const f of BUILTIN_FACTORIES) {
      const key = `${f.kind}:${f.type}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
    expect(BUILTIN_FACTORIES.some((f) => f.type === 'audit_wal')).toBe(true);
  });
});
