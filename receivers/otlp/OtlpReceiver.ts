/**
 * The `otlp` receiver: OTLP/gRPC and OTLP/HTTP in front of the pipelines.
 * A request is answered OK only after every record of it is durable in the
 * WAL of every pipeline it enters (the `next` consumer resolves only then).
 */
import { OtelAuditError } from '../../src/errors.ts';
import type { LogsConsumer } from '../../src/pipeline/consumer.ts';
import type { CreateSettings, Receiver } from '../../src/pipeline/factories.ts';
import { DEFAULT_SHUTDOWN_DEADLINE_MS, Lifecycle, ShutdownDeadline } from '../../src/pipeline/lifecycle.ts';
import { resolveDecodeLimits, type DecodeLimits } from '../../src/record/DecodeLimits.ts';
import { isServerAuthenticator, type ServerAuthenticator } from '../../extensions/Authenticator.ts';
import { grpcConfigOf, httpConfigOf, type OtlpConfig, type OtlpLimitsConfig } from './config.ts';
import type { InflightStats } from './grpc/inflightBudget.ts';
import { OtlpGrpcServer } from './grpc/OtlpGrpcServer.ts';
import { OtlpHttpServer } from './http/OtlpHttpServer.ts';

export type { InflightStats } from './grpc/inflightBudget.ts';

export function decodeLimitsOf(l: OtlpLimitsConfig): DecodeLimits {
  return resolveDecodeLimits({
    recordCountMax: l.max_records_per_request,
    attributeCountMax: l.max_attributes_per_record,
    arrayLengthMax: l.max_array_length,
    anyValueDepthMax: l.max_nesting_depth,
    stringBytesMax: l.max_string_bytes,
    bytesLengthMax: l.max_bytes_length,
    elementCountMax: l.max_elements_per_request,
  });
}

export class OtlpReceiver implements Receiver {
  private readonly settings: CreateSettings;
  private readonly config: OtlpConfig;
  private readonly next: LogsConsumer;
  private readonly lifecycle: Lifecycle;
  private http: OtlpHttpServer | undefined;
  private grpc: OtlpGrpcServer | undefined;

  constructor(settings: CreateSettings, config: OtlpConfig, next: LogsConsumer) {
    this.settings = settings;
    this.config = config;
    this.next = next;
    this.lifecycle = new Lifecycle(
      () => this.doStart(),
      (deadline) => this.doShutdown(deadline),
    );
  }

  /** Listening addresses (after start), e.g. `{ grpc: '127.0.0.1:4317', http: '127.0.0.1:4318' }`. */
  get endpoints(): { grpc?: string; http?: string } {
    return {
      ...(this.grpc ? { grpc: this.grpc.endpoint } : {}),
      ...(this.http ? { http: this.http.endpoint } : {}),
    };
  }

  /**
   * The OTLP/gRPC budget of request bytes in flight (`grpc::max_inflight_bytes_mib`): limit, reserved now,
   * peak, refused calls, the per-connection share (docs/receiver.md). A frozen snapshot, taken at each call;
   * undefined before start, without gRPC, or with `max_inflight_bytes_mib: 0` (no budget).
   */
  inflightStats(): Readonly<InflightStats> | undefined {
    const stats = this.grpc?.inflightStats();
    return stats && Object.freeze(stats);
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /**
   * Stops listening and drains the calls in flight until the deadline. Idempotent: every call returns the
   * same promise, and the earliest deadline wins (Lifecycle, as Service.shutdown): a later call may bring
   * the end forward, never push it back. Before, each call overwrote a stored deadline that the servers had
   * already read from the first call: a `shutdown(100)` after a `shutdown(10_000)` still left in-flight
   * gRPC calls 10 s, and the first call's promise waited for them.
   */
  shutdown(deadlineMs: number = DEFAULT_SHUTDOWN_DEADLINE_MS): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  private authenticator(
    auth: { authenticator: string } | undefined,
    protocol: string,
  ): ServerAuthenticator | undefined {
    if (!auth) return undefined;
    const ext = this.settings.extension?.(auth.authenticator);
    if (!isServerAuthenticator(ext)) {
      throw new OtelAuditError(
        'PIPELINE_BUILD',
        `receivers::${this.settings.id}::protocols::${protocol}::auth: authenticator "${auth.authenticator}" is not an enabled server authenticator extension (list it under service::extensions)`,
      );
    }
    return ext;
  }

  private async doStart(): Promise<void> {
    const limits = decodeLimitsOf(this.config.limits);
    const g = grpcConfigOf(this.config);
    const h = httpConfigOf(this.config);
    const base = { limits, next: this.next, baseDir: this.settings.baseDir };
    if (g)
      this.grpc = new OtlpGrpcServer({
        ...base,
        config: g,
        authenticator: this.authenticator(g.auth, 'grpc'),
      });
    if (h)
      this.http = new OtlpHttpServer({
        ...base,
        config: h,
        authenticator: this.authenticator(h.auth, 'http'),
      });
    try {
      await this.grpc?.listen();
      await this.http?.listen();
    } catch (err) {
      await this.doShutdown(ShutdownDeadline.in(DEFAULT_SHUTDOWN_DEADLINE_MS));
      throw err;
    }
    this.settings.logger.info(
      `${this.settings.id}: listening ${Object.entries(this.endpoints)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }

  /**
   * Both servers are handed the deadline itself: each closes its connections when it expires, wherever a
   * later, earlier shutdown call has brought it by then (Lifecycle).
   */
  private async doShutdown(deadline: ShutdownDeadline): Promise<void> {
    await Promise.all([this.grpc?.close(deadline), this.http?.close(deadline)]);
  }
}
