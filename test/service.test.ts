import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/resolve.ts';
import type { AnyFactory, CreateSettings } from '../src/pipeline/factories.ts';
import { BUILTIN_FACTORIES, createFactoryRegistry } from '../src/pipeline/registry.ts';
import { Service } from '../src/pipeline/Service.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { decodeRecord } from '../src/record/walCodec.ts';
import { openWalReadOnly } from '../src/wal/readOnly.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';

const tmp = makeTempDir('otel-audit-service-');
afterAll(() => tmp.cleanup());

const registry = createFactoryRegistry();
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function bodies(dir: string): unknown[] {
  return [...openWalReadOnly({ dir }).reader.records()].map((r) => decodeRecord(r.payload).body);
}

describe('Service', () => {
  it('wires pipelines, shares an exporter used by two pipelines, and acknowledges only durable batches', async () => {
    const config = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `
receivers:
  audit_sdk:
exporters:
  audit_wal/shared:
    directory: ${tmp.dir}/shared
  audit_wal/copy:
    directory: ${tmp.dir}/copy
service:
  pipelines:
    logs/a:
      receivers: [audit_sdk]
      exporters: [audit_wal/shared]
    logs/b:
      receivers: [audit_sdk]
      exporters: [audit_wal/shared, audit_wal/copy]
`,
        },
      ],
      { catalog: registry.catalog },
    );
    const service = Service.build({ config, registry, logger: quiet });
    expect([...service.exporters.keys()].sort()).toEqual(['audit_wal/copy', 'audit_wal/shared']);
    await service.start();
    await service.pipelines.get('logs/a')?.consumeLogs({ records: [createAuditRecord({ body: 'a1' })] });
    await service.pipelines
      .get('logs/b')
      ?.consumeLogs({ records: [createAuditRecord({ body: 'b1' }), createAuditRecord({ body: 'b2' })] });
    await service.shutdown();
    await expect(
      service.pipelines.get('logs/a')?.consumeLogs({ records: [createAuditRecord({ body: 'late' })] }),
    ).rejects.toMatchObject({
      code: 'WAL_CLOSED',
      retryable: true,
    });
    expect(bodies(`${tmp.dir}/shared`)).toEqual(['a1', 'b1', 'b2']);
    expect(bodies(`${tmp.dir}/copy`)).toEqual(['b1', 'b2']);
  });

  it('refuses two exporters on one WAL directory: a config error naming both (WAL_LOCKED at start before)', () => {
    const resolve = () =>
      resolveConfig(
        [
          {
            kind: 'yaml',
            text: `
receivers: { audit_sdk: }
exporters:
  audit_wal/one: { directory: ${tmp.dir}/same }
  audit_wal/two: { directory: ${tmp.dir}/same }
service: { pipelines: { logs: { receivers: [audit_sdk], exporters: [audit_wal/one, audit_wal/two] } } }
`,
          },
        ],
        { catalog: registry.catalog },
      );
    expect(resolve).toThrow(/"audit_wal\/one" and "audit_wal\/two" both write the WAL directory/);
  });

  it('shuts down receivers first, then processors, then exporters, then extensions', async () => {
    const stopped: string[] = [];
    const recording = BUILTIN_FACTORIES.map(
      (f): AnyFactory =>
        ({
          ...f,
          create: (...args: Parameters<typeof f.create>) => {
            const component = (f.create as (...a: typeof args) => { shutdown?: () => Promise<void> })(
              ...args,
            );
            const shutdown = component.shutdown?.bind(component);
            component.shutdown = async () => {
              stopped.push(f.kind);
              await shutdown?.();
            };
            return component;
          },
        }) as AnyFactory,
    );
    const recordingRegistry = createFactoryRegistry(recording);
    const config = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
processors: { batch: }
exporters: { audit_wal: { directory: ${tmp.dir}/order } }
extensions: { bearertokenauth: { token: t } }
service:
  extensions: [bearertokenauth]
  pipelines: { logs: { receivers: [otlp], processors: [batch], exporters: [audit_wal] } }
`,
        },
      ],
      { catalog: recordingRegistry.catalog },
    );
    const service = Service.build({ config, registry: recordingRegistry, logger: quiet });
    await service.start();
    await service.shutdown();
    expect(stopped).toEqual(['receiver', 'processor', 'exporter', 'extension']);
  });
});

describe('Service and an exporter bug', () => {
  it("logs an exporter's untyped failure (ExporterFailedError) naming the pipeline and the exporter", async () => {
    const buggy = BUILTIN_FACTORIES.map((f): AnyFactory => {
      if (f.kind !== 'exporter') return f;
      return {
        ...f,
        create: (settings: CreateSettings, config: unknown) => {
          const exporter = f.create(settings, config);
          exporter.consumeLogs = () => Promise.reject(new TypeError('boom'));
          return exporter;
        },
      };
    });
    const buggyRegistry = createFactoryRegistry(buggy);
    const config = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `
receivers: { audit_sdk: }
exporters: { audit_wal: { directory: ${tmp.dir}/bug } }
service: { pipelines: { logs/x: { receivers: [audit_sdk], exporters: [audit_wal] } } }
`,
        },
      ],
      { catalog: buggyRegistry.catalog },
    );
    const errors: string[] = [];
    const service = Service.build({
      config,
      registry: buggyRegistry,
      logger: { ...quiet, error: (m) => errors.push(m) },
    });
    await service.start();
    try {
      const pipeline = service.pipelines.get('logs/x');
      await expect(
        pipeline?.consumeLogs({ records: [createAuditRecord({ body: 'x' })] }),
      ).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(errors).toEqual([
        'service::pipelines::logs/x: exporter "audit_wal" failed (a bug): TypeError: boom',
      ]);
    } finally {
      await service.shutdown();
    }
  });
});

describe('Service start failure', () => {
  it('releases what did start (the WAL lock, other listeners), so a new service can take the directory', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const yaml = (httpPort: number): string => `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:0
      http:
        endpoint: 127.0.0.1:${httpPort}
exporters:
  audit_wal:
    directory: ${tmp.dir}/start-failure
service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [audit_wal]
`;
    const build = (httpPort: number): Service =>
      Service.build({
        config: resolveConfig([{ kind: 'yaml', text: yaml(httpPort) }], { catalog: registry.catalog }),
        registry,
        logger: quiet,
      });
    try {
      const failed = build(port);
      await expect(failed.start()).rejects.toThrow(/EADDRINUSE|in use/i);
      const again = build(0);
      await again.start(); // would fail with WAL_LOCKED if the failed start had kept the WAL open
      await again.pipelines.get('logs')?.consumeLogs({ records: [createAuditRecord({ body: 'after' })] });
      await again.shutdown();
      expect(bodies(`${tmp.dir}/start-failure`)).toEqual(['after']);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
