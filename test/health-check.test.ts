/**
 * The `health_check` extension: 200 while the service runs and its WALs can
 * make records durable, 503 while starting, shutting down, or while a WAL
 * that failed is being reopened — with a real exporter on a simulated disk
 * that fails, and a real service.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../config/resolve.ts';
import { AuditWalExporter } from '../exporters/audit_wal/AuditWalExporter.ts';
import { createDefaultAuditWalConfig } from '../exporters/audit_wal/config.ts';
import { HealthCheck } from '../extensions/health_check/HealthCheck.ts';
import { healthCheckConfigSchema } from '../extensions/health_check/config.ts';
import { summarizeHealth } from '../src/pipeline/health.ts';
import { createFactoryRegistry } from '../src/pipeline/registry.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { SimDisk } from '../src/wal/fs/SimDisk.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { quietLogger, startService } from './helpers/startService.ts';

const tmp = makeTempDir('otel-audit-health-');
afterAll(() => tmp.cleanup());

async function get(
  url: string,
  method = 'GET',
): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

function healthUrl(ext: unknown, path = '/'): string {
  return `http://${(ext as HealthCheck).endpoint}${path}`;
}

describe('health_check extension', () => {
  it('a running service: 200 with the Collector status and each audit_wal state; 404, 405; Service.health() unhealthy once shutdown begins', async () => {
    const svc = await startService(`
extensions:
  health_check: { endpoint: 127.0.0.1:0, path: /health/status }
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: ${tmp.dir}/a }
service:
  extensions: [health_check]
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    const ext = svc.service.extensions.get('health_check');
    const ok = await get(healthUrl(ext, '/health/status'));
    expect(ok.status).toBe(200);
    expect(ok.type).toBe('application/json');
    expect(JSON.parse(ok.body)).toMatchObject({
      status: 'Server available',
      phase: 'running',
      components: { audit_wal: { state: 'ok' } },
    });
    expect((await get(healthUrl(ext, '/health/status?verbose'), 'HEAD')).status).toBe(200);
    // uptime is a duration: a step of the wall clock back an hour leaves it as it was (before: -3599.9s).
    const wallNow = Date.now.bind(Date);
    const stepped = vi.spyOn(Date, 'now').mockImplementation(() => wallNow() - 3_600_000);
    try {
      const uptime = (JSON.parse((await get(healthUrl(ext, '/health/status'))).body) as { uptime: string })
        .uptime;
      expect(uptime).toMatch(/^\d+\.\d{3}s$/);
      expect(Number.parseFloat(uptime)).toBeLessThan(60);
    } finally {
      stepped.mockRestore();
    }
    expect((await get(healthUrl(ext, '/'))).status).toBe(404);
    expect((await get(healthUrl(ext, '/health/status'), 'POST')).status).toBe(405);

    const stopping = svc.stop();
    expect(svc.service.health()).toMatchObject({ healthy: false, phase: 'stopping' });
    await stopping;
    expect(svc.service.health()).toMatchObject({
      healthy: false,
      phase: 'stopped',
      components: { audit_wal: { state: 'stopped' } },
    });
  });

  it('response_body replaces the JSON; check_collector_pipeline is accepted', async () => {
    const svc = await startService(`
extensions:
  health_check:
    endpoint: 127.0.0.1:0
    response_body: { healthy: I'm OK, unhealthy: I'm not well }
    check_collector_pipeline: { enabled: false, interval: 5m, exporter_failure_threshold: 5 }
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: ${tmp.dir}/b }
service:
  extensions: [health_check]
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
    const r = await get(healthUrl(svc.service.extensions.get('health_check')));
    expect(r).toMatchObject({ status: 200, body: "I'm OK" });
    await svc.stop();
  });

  it('a WAL that failed: 503 naming the failure until the exporter has reopened it, then 200', async () => {
    const disk = new SimDisk(21);
    const exporter = new AuditWalExporter(
      { id: 'audit_wal', baseDir: '/', logger: quietLogger },
      { ...createDefaultAuditWalConfig(), directory: '/w', preallocate: 'off' as const },
      { fs: disk, failureBackoffMs: 200 },
    );
    await exporter.start();
    const components = new Map([['audit_wal', exporter]]);
    const ext = new HealthCheck(
      {
        id: 'health_check',
        baseDir: '/',
        logger: quietLogger,
        serviceHealth: () => summarizeHealth('running', components),
      },
      healthCheckConfigSchema.parse({ endpoint: '127.0.0.1:0', path: '/' }),
    );
    await ext.start();
    try {
      expect((await get(healthUrl(ext))).status).toBe(200);
      await exporter.consumeLogs({ records: [createAuditRecord({ body: 'a' })] });
      // As in the exporter's own test: a failed write, then a failed segment removal make the WAL refuse appends.
      disk.failNextWrite('EIO');
      await expect(
        exporter.consumeLogs({ records: [createAuditRecord({ body: 'b' })] }),
      ).rejects.toMatchObject({ code: 'WAL_IO' });
      let writes = 0;
      disk.failNextWrite('EIO', 1, () => ++writes === 2);
      let dirSyncs = 0;
      disk.failNextSyncDir('EIO', 1, () => ++dirSyncs === 2);
      await expect(
        exporter.consumeLogs({ records: [createAuditRecord({ body: 'c' })] }),
      ).rejects.toMatchObject({ code: 'WAL_IO' });
      const failed = await get(healthUrl(ext));
      expect(failed.status).toBe(503);
      const body = JSON.parse(failed.body) as {
        status: string;
        components: { audit_wal: { state: string; failure?: string } };
      };
      expect(body.status).toBe('Server not available');
      expect(body.components.audit_wal.state).toBe('failed');
      expect(body.components.audit_wal.failure).toBeTruthy();
      for (let i = 0; i < 400 && exporter.health().state !== 'ok'; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect((await get(healthUrl(ext))).status).toBe(200);
    } finally {
      await ext.shutdown();
      await exporter.shutdown();
    }
  });

  it('answers 503 over HTTP while the service is stopping, and when a health report throws', async () => {
    let provider = (): ReturnType<typeof summarizeHealth> => summarizeHealth('stopping', new Map());
    const ext = new HealthCheck(
      { id: 'health_check', baseDir: '/', logger: quietLogger, serviceHealth: () => provider() },
      healthCheckConfigSchema.parse({ endpoint: '127.0.0.1:0', path: '/' }),
    );
    await ext.start();
    try {
      const stopping = await get(healthUrl(ext));
      expect(stopping.status).toBe(503);
      expect(JSON.parse(stopping.body)).toMatchObject({ status: 'Server not available', phase: 'stopping' });
      provider = () => {
        throw new Error('component exploded');
      };
      const broken = await get(healthUrl(ext));
      expect(broken.status).toBe(503);
      expect(broken.body).toContain('component exploded');
    } finally {
      await ext.shutdown();
    }
  });

  it('config: unknown keys and a path without "/" are errors; a port in use fails the start', async () => {
    const registry = createFactoryRegistry();
    const build = (ext: string) =>
      resolveConfig(
        [
          {
            kind: 'yaml',
            text: `
extensions:
  health_check: ${ext}
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: ${tmp.dir}/c }
service:
  extensions: [health_check]
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`,
          },
        ],
        { catalog: registry.catalog },
      );
    expect(() => build('{ endpoint: 127.0.0.1:0, bogus: 1 }')).toThrow(/bogus/);
    expect(() => build('{ path: health }')).toThrow(/must start with "\/"/);
    expect(build('').extensions.get('health_check')?.config).toMatchObject({
      endpoint: 'localhost:13133',
      path: '/',
    });

    const first = new HealthCheck(
      { id: 'health_check', baseDir: '/', logger: quietLogger },
      healthCheckConfigSchema.parse({ endpoint: '127.0.0.1:0', path: '/' }),
    );
    await first.start();
    const second = new HealthCheck(
      { id: 'health_check/2', baseDir: '/', logger: quietLogger },
      healthCheckConfigSchema.parse({ endpoint: first.endpoint, path: '/' }),
    );
    await expect(second.start()).rejects.toMatchObject({
      code: 'LIFECYCLE',
      message: expect.stringMatching(/cannot listen/),
    });
    // Outside a service there is no service health: unavailable, never a false "healthy".
    expect((await get(healthUrl(first))).status).toBe(503);
    await first.shutdown();
    await second.shutdown();
  });
});
