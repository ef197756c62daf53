/**
 * The OTLP/HTTP server: plain, TLS or mutual TLS, on TCP or a unix socket.
 * At most `max_concurrent_requests` are handled at once (others get 503 with
 * Retry-After before their body is read), so memory stays bounded.
 * Shutdown: stop accepting connections, answer new requests on open
 * connections with 503, let in-flight requests finish (their records become
 * durable or they get an error), then close every connection.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { type AddressInfo } from 'node:net';
import { OtelAuditError } from '../../../src/errors.ts';
import type { LogsConsumer } from '../../../src/pipeline/consumer.ts';
import { ShutdownDeadline } from '../../../src/pipeline/lifecycle.ts';
import type { DecodeLimits } from '../../../src/record/DecodeLimits.ts';
import type { ServerAuthenticator } from '../../../extensions/Authenticator.ts';
import type { OtlpHttpConfig } from '../config.ts';
import { describeTarget, parseEndpoint, type ListenTarget } from '../endpoint.ts';
import { RETRY_AFTER_MS } from '../errorMapping.ts';
import { GrpcCode } from '../rpcStatus.ts';
import { resolveTls } from '../tlsOptions.ts';
import { removeStaleSocket } from '../unixSocket.ts';
import { CorsPolicy } from './cors.ts';
import { formatOf, handleLogs } from './handleLogs.ts';
import { sendStatus } from './respond.ts';

export interface OtlpHttpServerOptions {
  readonly config: OtlpHttpConfig;
  readonly limits: DecodeLimits;
  readonly next: LogsConsumer;
  readonly authenticator: ServerAuthenticator | undefined;
  readonly baseDir: string;
}

/**
 * Node's request timeouts from the Collector's keys. `read_timeout` cuts off a request (headers and
 * body) that has not fully arrived, so a slow sender cannot hold one of `max_concurrent_requests` for
 * Node's 300 s default. Node checks them every `connectionsCheckingInterval` (30 s by default, which
 * would let a request run up to twice its timeout): here a tenth of the shortest, between 100 ms and 1 s.
 */
export function serverTimeouts(c: OtlpHttpConfig): http.ServerOptions {
  const requestTimeout = Math.ceil(c.read_timeout);
  const headerLimit = c.read_header_timeout > 0 ? Math.ceil(c.read_header_timeout) : requestTimeout;
  // Node requires headersTimeout <= requestTimeout when both are set; 0 means no limit for either.
  const headersTimeout =
    requestTimeout > 0 && headerLimit > 0 ? Math.min(headerLimit, requestTimeout) : headerLimit;
  const shortest = Math.min(...[requestTimeout, headersTimeout].filter((t) => t > 0), 10_000);
  return {
    requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: Math.min(1_000, Math.max(100, Math.floor(shortest / 10))),
    ...(c.idle_timeout !== undefined ? { keepAliveTimeout: c.idle_timeout } : {}),
  };
}

export class OtlpHttpServer {
  private readonly o: OtlpHttpServerOptions;
  private readonly server: http.Server;
  private readonly target: ListenTarget;
  private readonly cors: CorsPolicy | undefined;
  private readonly mtls: boolean;
  private inFlight = 0;
  private draining = false;
  private idle: Array<() => void> = [];
  private readonly sockets = new Set<net.Socket>();

  constructor(o: OtlpHttpServerOptions) {
    this.o = o;
    this.target = parseEndpoint(o.config.endpoint, o.config.transport);
    this.cors = o.config.cors ? new CorsPolicy(o.config.cors) : undefined;
    const tls = o.config.tls ? resolveTls(o.config.tls, o.baseDir) : undefined;
    this.mtls = tls?.clientCa !== undefined;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onRequest(req, res);
    const timeouts = serverTimeouts(o.config);
    // A TLS handshake counts as the request's headers: a peer that never finishes it is cut off after
    // `read_header_timeout` (or `read_timeout`), not Node's 120 s.
    const handshakeTimeout = timeouts.headersTimeout || timeouts.requestTimeout || undefined;
    this.server = tls
      ? https.createServer(
          { ...tls.options, ...timeouts, ...(handshakeTimeout ? { handshakeTimeout } : {}) },
          handler,
        )
      : http.createServer(timeouts, handler);
    if (o.config.max_connections > 0) this.server.maxConnections = o.config.max_connections;
    // Every connection, from its first byte: `closeAllConnections` reaches only those that carry HTTP (a
    // TLS peer still in its handshake is not one), and a shutdown must not wait for those past its deadline.
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Where it listens (after `listen`), with the real port when 0 was asked for. */
  get endpoint(): string {
    const a = this.server.address();
    if (a && typeof a === 'object')
      return describeTarget({ kind: 'tcp', host: (a as AddressInfo).address, port: (a as AddressInfo).port });
    return describeTarget(this.target);
  }

  listen(): Promise<void> {
    const bind = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        this.server.once('error', onError);
        const done = (): void => {
          this.server.off('error', onError);
          resolve();
        };
        if (this.target.kind === 'unix') this.server.listen(this.target.path, done);
        else this.server.listen(this.target.port, this.target.host, done);
      });
    const failed = (err: unknown): OtelAuditError =>
      err instanceof OtelAuditError
        ? err
        : new OtelAuditError(
            'LIFECYCLE',
            `otlp http: cannot listen on ${describeTarget(this.target)}: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          );
    if (this.target.kind !== 'unix') return bind().catch((err: unknown) => Promise.reject(failed(err)));
    // A unix socket: bound first; only when its path is taken, a stale socket (no one listening: the
    // connect is refused) is removed and the bind tried once more. Probing before the bind let two
    // receivers starting together both remove and take the path, and took any connect error for stale.
    const socketPath = this.target.path;
    return bind()
      .catch(async (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        await removeStaleSocket(socketPath, 'http');
        await bind();
      })
      .catch((err: unknown) => Promise.reject(failed(err)));
  }

  /**
   * Waits for requests in flight until the deadline (`deadline` ms from now, or a ShutdownDeadline, which
   * may come earlier meanwhile: a later, earlier shutdown call), then closes every connection (cut requests
   * were never acknowledged). Before, it took the milliseconds left when the shutdown began: a later,
   * earlier deadline did not cut the drain short, and Infinity (no deadline) was setTimeout's 1 ms.
   */
  async close(deadline: number | ShutdownDeadline): Promise<void> {
    this.draining = true;
    const until = typeof deadline === 'number' ? ShutdownDeadline.in(deadline) : deadline;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      let cancel = (): void => undefined;
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        cancel = until.onExpiry(resolve);
      });
      cancel();
    }
    // Every connection (`closeAllConnections` would miss one still in its TLS handshake).
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      this.route(req, res);
    } catch (err) {
      // Never an uncaught exception out of the request handler (it would end the process).
      if (!res.headersSent) {
        sendStatus(res, formatOf(req.headers['content-type']) ?? 'json', 500, {
          code: GrpcCode.INTERNAL,
          message: `otlp http: ${err instanceof Error ? err.message : String(err)}`,
        });
      } else res.destroy();
    }
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.cors?.handle(req, res)) return;
    for (const [k, v] of Object.entries(this.o.config.response_headers ?? {})) res.setHeader(k, v);
    const url = (req.url ?? '/').split('?')[0];
    if (this.draining) res.setHeader('Connection', 'close');
    if (url !== this.o.config.logs_url_path) {
      const known = url === this.o.config.traces_url_path || url === this.o.config.metrics_url_path;
      const message = known
        ? 'otel-audit receives logs only'
        : `no such path ${url}; logs go to ${this.o.config.logs_url_path}`;
      return sendStatus(res, formatOf(req.headers['content-type']) ?? 'json', 404, {
        code: GrpcCode.UNIMPLEMENTED,
        message,
      });
    }
    if (this.inFlight >= this.o.config.max_concurrent_requests) {
      res.setHeader('Connection', 'close');
      return sendStatus(res, formatOf(req.headers['content-type']) ?? 'json', 503, {
        code: GrpcCode.UNAVAILABLE,
        message: `too many concurrent requests (max_concurrent_requests ${this.o.config.max_concurrent_requests})`,
        retryDelayMs: RETRY_AFTER_MS.queueFull,
      });
    }
    this.inFlight++;
    handleLogs(req, res, {
      next: this.o.next,
      limits: this.o.limits,
      maxBodyBytes: this.o.config.max_request_body_size,
      readTimeoutMs: this.o.config.read_timeout,
      authenticator: this.o.authenticator,
      mtls: this.mtls,
      draining: () => this.draining,
    })
      .catch((err: unknown) => {
        // Our fault, not the data's: 503 so the sender retries rather than drops.
        sendStatus(res, formatOf(req.headers['content-type']) ?? 'json', 503, {
          code: GrpcCode.UNAVAILABLE,
          message: String(err),
          retryDelayMs: RETRY_AFTER_MS.unavailable,
        });
      })
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const w of this.idle.splice(0)) w();
      });
  }
}
