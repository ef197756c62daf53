/**
 * Serves the service's health over HTTP for load balancers and
 * orchestrators: `GET` (or `HEAD`) on `path` answers `200` while the service
 * runs and every `audit_wal` exporter can make records durable, and `503`
 * otherwise — starting, shutting down, or a WAL that failed and is being
 * reopened (records sent meanwhile are refused with a retryable status, so
 * a balancer should route elsewhere). The body is the Collector's JSON
 * (`status`, `upSince`, `uptime`) plus `phase` and each exporter's own
 * report, or the configured `response_body`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OtelAuditError } from '../../src/errors.ts';
import type { CreateSettings, Extension } from '../../src/pipeline/factories.ts';
import type { ServiceHealth } from '../../src/pipeline/health.ts';
import { Lifecycle } from '../../src/pipeline/lifecycle.ts';
import { describeTarget, parseEndpoint, type ListenTarget } from '../../receivers/otlp/endpoint.ts';
import type { HealthCheckConfig } from './config.ts';

export class HealthCheck implements Extension {
  private readonly settings: CreateSettings;
  private readonly config: HealthCheckConfig;
  private readonly target: ListenTarget;
  private readonly lifecycle: Lifecycle;
  private server: http.Server | undefined;
  private startedAtMs = 0;
  /** When it started on the monotonic clock: `uptime` is a duration, which a step of the wall clock must not change. */
  private startedAtMonotonicMs = 0;
  /** Where it listens once started (`host:port`, the real port when 0 was configured). */
  endpoint = '';

  constructor(settings: CreateSettings, config: HealthCheckConfig) {
    this.settings = settings;
    this.config = config;
    this.target = parseEndpoint(config.endpoint, 'tcp');
    this.lifecycle = new Lifecycle(
      () => this.listen(),
      () => this.close(),
    );
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  shutdown(deadlineMs?: number): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  /** The health this extension reports (the service's; outside a service: not available). */
  current(): ServiceHealth {
    try {
      return this.settings.serviceHealth?.() ?? { healthy: false, phase: 'created', components: {} };
    } catch (err) {
      // A component's throwing health() is reported by summarizeHealth itself; should the summary throw
      // anyway, the service is not known to be healthy: 503, never an uncaught exception.
      const failure = err instanceof Error ? err.message : String(err);
      return { healthy: false, phase: 'running', components: { health: { state: 'failed', failure } } };
    }
  }

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    const t = this.target;
    if (t.kind !== 'tcp')
      throw new OtelAuditError('CONFIG_INVALID', `${this.settings.id}: endpoint must be host:port`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new OtelAuditError(
            'LIFECYCLE',
            `${this.settings.id}: cannot listen on ${this.config.endpoint}: ${err.message}`,
            { cause: err },
          ),
        ),
      );
      server.listen(t.port, t.host === '' ? undefined : t.host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    this.endpoint = describeTarget({ kind: 'tcp', host: a.address, port: a.port });
    this.startedAtMs = Date.now();
    this.startedAtMonotonicMs = performance.now();
    this.settings.logger.info(`${this.settings.id}: health on http://${this.endpoint}${this.config.path}`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== this.config.path) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const h = this.current();
    const custom = this.config.response_body;
    const body = custom
      ? h.healthy
        ? custom.healthy
        : custom.unhealthy
      : JSON.stringify({
          status: h.healthy ? 'Server available' : 'Server not available',
          upSince: new Date(this.startedAtMs).toISOString(),
          uptime: `${((performance.now() - this.startedAtMonotonicMs) / 1000).toFixed(3)}s`,
          phase: h.phase,
          components: h.components,
        });
    res.writeHead(h.healthy ? 200 : 503, {
      'Content-Type': custom ? 'text/plain; charset=utf-8' : 'application/json',
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
