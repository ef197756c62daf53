/**
 * The OTLP/gRPC server: `opentelemetry.proto.collector.logs.v1.LogsService/Export`
 * with @grpc/grpc-js. Messages pass as raw bytes and are decoded by our own
 * bounded decoder (the same as OTLP/HTTP), so limits and errors are
 * identical on both protocols. gzip and deflate are decompressed by the
 * handler with the budget (inflateRequest.ts; by grpc-js without a budget);
 * the message-size limit (`max_recv_msg_size_mib`) applies to the
 * decompressed message.
 * Refusals carry `google.rpc.RetryInfo` in `grpc-status-details-bin`.
 * HTTP/2 windows, the connection bound and the preface deadline are set on
 * grpc-js's HTTP/2 servers, and so are `read_timeout` (http2Transport.ts) and
 * the budget of request bytes in flight, `max_inflight_bytes_mib`
 * (streamAdmission.ts; `inflightStats()` is its gauge).
 */
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { OtelAuditError } from '../../../src/errors.ts';
import { removeStaleSocket } from '../unixSocket.ts';
import { decodeOtlpLogsProtobuf } from '../../../src/otlp/protobufCodec.ts';
import type { LogsConsumer } from '../../../src/pipeline/consumer.ts';
import { ShutdownDeadline } from '../../../src/pipeline/lifecycle.ts';
import type { DecodeLimits } from '../../../src/record/DecodeLimits.ts';
import type { ServerAuthenticator } from '../../../extensions/Authenticator.ts';
import { stampClient } from '../clientAttributes.ts';
import { connectionShareBytesOf, inflightBudgetBytesOf, type OtlpGrpcConfig } from '../config.ts';
import { describeTarget, parseEndpoint, type ListenTarget } from '../endpoint.ts';
import { mapPipelineError, partialSuccessOf, RETRY_AFTER_MS } from '../errorMapping.ts';
import { peerIdentity } from '../peerIdentity.ts';
import { encodeResponseProtobuf, encodeStatusProtobuf, GrpcCode, type RpcStatus } from '../rpcStatus.ts';
import { plainAddress } from '../plainAddress.ts';
import { resolveTls } from '../tlsOptions.ts';
import { authRequestOfMetadata } from './callMetadata.ts';
import { http2ServersOf, tuneHttp2Transport } from './http2Transport.ts';
import { InflightBudget, type InflightStats } from './inflightBudget.ts';
import { inflateRequest } from './inflateRequest.ts';
import {
  admittedIdentity,
  callEnded,
  callInflated,
  callInflating,
  callStarted,
  inflateRefusedStatus,
  takenCompression,
} from './streamAdmission.ts';

const identity = (b: Buffer): Buffer => b;
const MIB = 1024 * 1024;

/** OTLP's LogsService/Export with raw bytes in and out (the handler decodes the request itself). */
export const LOGS_SERVICE: grpc.ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface OtlpGrpcServerOptions {
  readonly config: OtlpGrpcConfig;
  readonly limits: DecodeLimits;
  readonly next: LogsConsumer;
  readonly authenticator: ServerAuthenticator | undefined;
  readonly baseDir: string;
}

function statusError(s: RpcStatus): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(encodeStatusProtobuf(s)));
  return { code: s.code, details: s.message, metadata };
}

export class OtlpGrpcServer {
  private readonly o: OtlpGrpcServerOptions;
  private readonly server: grpc.Server;
  private readonly target: ListenTarget;
  private readonly credentials: grpc.ServerCredentials;
  private readonly mtls: boolean;
  private boundPort = 0;
  private draining = false;
  private inFlight = 0;
  private readonly budget: InflightBudget | undefined;
  /** Open HTTP/2 connections, destroyed at the close deadline (see `close`). */
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  constructor(o: OtlpGrpcServerOptions) {
    this.o = o;
    this.target = parseEndpoint(o.config.endpoint, o.config.transport);
    const tls = o.config.tls ? resolveTls(o.config.tls, o.baseDir) : undefined;
    this.mtls = tls?.clientCa !== undefined;
    this.credentials = tls
      ? grpc.ServerCredentials.createSsl(
          tls.clientCa ?? null,
          [{ private_key: tls.key, cert_chain: tls.cert }],
          tls.clientCa !== undefined,
        )
      : grpc.ServerCredentials.createInsecure();
    const ka = o.config.keepalive?.server_parameters;
    const options: grpc.ServerOptions = {
      'grpc.max_receive_message_length': o.config.max_recv_msg_size_mib * MIB,
      // channelz (per-call and per-session statistics for grpc's admin service, which is not served here)
      // cost ~0.1-0.3 µs/record in the receiver benchmark's shape (micro-benchmark, 3 interleaved rounds).
      'grpc.enable_channelz': 0,
      ...(o.config.max_concurrent_streams > 0
        ? { 'grpc.max_concurrent_streams': o.config.max_concurrent_streams }
        : {}),
      ...(ka?.time !== undefined ? { 'grpc.keepalive_time_ms': ka.time } : {}),
      ...(ka?.timeout !== undefined ? { 'grpc.keepalive_timeout_ms': ka.timeout } : {}),
      ...(ka?.max_connection_idle !== undefined
        ? { 'grpc.max_connection_idle_ms': ka.max_connection_idle }
        : {}),
      ...(ka?.max_connection_age !== undefined
        ? { 'grpc.max_connection_age_ms': ka.max_connection_age }
        : {}),
      ...(ka?.max_connection_age_grace !== undefined
        ? { 'grpc.max_connection_age_grace_ms': ka.max_connection_age_grace }
        : {}),
    };
    this.server = new grpc.Server(options);
    const budgetBytes = inflightBudgetBytesOf(o.config);
    this.budget =
      budgetBytes > 0 ? new InflightBudget(budgetBytes, connectionShareBytesOf(o.config)) : undefined;
    this.server.addService(LOGS_SERVICE, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        void this.export(call, cb),
    });
  }

  get endpoint(): string {
    return this.target.kind === 'unix'
      ? describeTarget(this.target)
      : describeTarget({ ...this.target, port: this.boundPort });
  }

  async listen(): Promise<void> {
    const address =
      this.target.kind === 'unix'
        ? `unix:${this.target.path}`
        : `${this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host}:${this.target.port}`;
    // Only a stale socket is removed (no one listening: its connect refused); a regular file or directory (a
    // mistyped path to data) or a live socket is refused. grpc-js reports a taken path without an errno,
    // so the path is checked before the bind (two receivers starting at once on one stale path can race).
    if (this.target.kind === 'unix') await removeStaleSocket(this.target.path, 'grpc');
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, this.credentials, (err, port) => {
        if (err)
          return reject(
            new OtelAuditError('LIFECYCLE', `otlp grpc: cannot listen on ${address}: ${err.message}`, {
              cause: err,
            }),
          );
        this.boundPort = port;
        try {
          tuneHttp2Transport(this.server, {
            streamWindowBytes: this.o.config.initial_window_size,
            connectionWindowBytes: this.o.config.initial_conn_window_size,
            maxConnections: this.o.config.max_connections,
            prefaceTimeoutMs: this.o.config.preface_timeout,
            readTimeoutMs: this.o.config.read_timeout,
            admission: this.budget && {
              budget: this.budget,
              streamWindowBytes: this.o.config.initial_window_size,
              maxMessageBytes: this.o.config.max_recv_msg_size_mib * MIB,
              authenticator: this.o.authenticator,
            },
          });
        } catch (tuneErr) {
          this.server.forceShutdown();
          return reject(tuneErr);
        }
        for (const h of http2ServersOf(this.server))
          h.on('session', (session: http2.ServerHttp2Session) => {
            this.sessions.add(session);
            session.once('close', () => this.sessions.delete(session));
          });
        resolve();
      });
    });
  }

  /** The budget of request bytes in flight (`max_inflight_bytes_mib`); undefined when it is 0 (no limit). */
  inflightStats(): InflightStats | undefined {
    return this.budget?.stats();
  }

  /**
   * Refuses new calls, waits for in-flight ones (their records become durable or fail), then closes; at
   * the deadline (`deadline` ms from now, or a ShutdownDeadline, which may come earlier meanwhile), closes
   * every connection at once. grpc-js 1.14.7's forceShutdown destroys only the sessions it records for
   * channelz, and records none with `grpc.enable_channelz: 0` (set above): the connections, and the calls
   * in flight on them, stayed open past the deadline (test/grpc-shutdown.test.ts). So they are destroyed
   * here too.
   */
  close(deadline: number | ShutdownDeadline): Promise<void> {
    this.draining = true;
    const until = typeof deadline === 'number' ? ShutdownDeadline.in(deadline) : deadline;
    return new Promise((resolve) => {
      const cancel = until.onExpiry(() => {
        this.server.forceShutdown();
        for (const session of this.sessions) session.destroy(undefined, http2.constants.NGHTTP2_CANCEL);
        resolve();
      });
      this.server.tryShutdown(() => {
        cancel();
        resolve();
      });
    });
  }

  private async export(
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    cb: grpc.sendUnaryData<Buffer>,
  ): Promise<void> {
    // The request's bytes stay reserved while this handler holds them, even if the client has gone.
    const stream = http2StreamOf(call);
    if (this.budget && stream === undefined) {
      // Without its stream the call's reservation is unknown, and so is whether the stream admission
      // cleared its message's compressed flag (it would be decoded compressed): refused, retryably.
      // The version of grpc-js is pinned; test/grpc-memory.test.ts fails if its call's shape changes.
      return cb(
        statusError({
          code: GrpcCode.UNAVAILABLE,
          message: 'otlp grpc: the HTTP/2 stream of a call cannot be found in this @grpc/grpc-js version',
          retryDelayMs: RETRY_AFTER_MS.unavailable,
        }),
      );
    }
    callStarted(stream, call.request.length);
    try {
      await this.exportAdmitted(call, cb, stream);
    } finally {
      callEnded(stream);
    }
  }

  private async exportAdmitted(
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    cb: grpc.sendUnaryData<Buffer>,
    stream: http2.ServerHttp2Stream | undefined,
  ): Promise<void> {
    if (this.inFlight >= this.o.config.max_concurrent_requests) {
      return cb(
        statusError({
          code: GrpcCode.UNAVAILABLE,
          message: `too many concurrent calls (max_concurrent_requests ${this.o.config.max_concurrent_requests})`,
          retryDelayMs: RETRY_AFTER_MS.queueFull,
        }),
      );
    }
    this.inFlight++;
    try {
      await this.exportCounted(call, cb, stream);
    } finally {
      this.inFlight--;
    }
  }

  private async exportCounted(
    call: grpc.ServerUnaryCall<Buffer, Buffer>,
    cb: grpc.sendUnaryData<Buffer>,
    stream: http2.ServerHttp2Stream | undefined,
  ): Promise<void> {
    if (this.draining) {
      return cb(
        statusError({
          code: GrpcCode.UNAVAILABLE,
          message: 'the receiver is shutting down',
          retryDelayMs: RETRY_AFTER_MS.unavailable,
        }),
      );
    }
    // Everything below answers the call, even if peer lookup or an authenticator throws: this runs in a
    // fire-and-forget promise, so an escaped error would leave the call unanswered and the rejection unhandled.
    try {
      // grpc-js does not expose the connection: its internal HTTP/2 session carries the socket.
      const socket = stream?.session?.socket as TLSSocket | undefined;
      const client: { authenticatedAs?: string; address?: string; protocol: string } = {
        protocol: 'otlp/grpc',
        address: this.target.kind === 'unix' ? 'unix' : peerAddress(call.getPeer(), socket),
      };
      if (this.mtls) {
        const id = socket ? peerIdentity(socket) : undefined;
        if (id) client.authenticatedAs = id;
      }
      if (this.o.authenticator) {
        // Authenticated at the stream's headers, before anything was reserved (streamAdmission.ts); here only
        // without a budget (or if the authenticator threw there).
        const admitted = admittedIdentity(stream);
        if (admitted !== undefined) client.authenticatedAs = admitted;
        else {
          const outcome = this.o.authenticator.authenticate(authRequestOfMetadata(call.metadata));
          if (!outcome.ok)
            return cb(
              statusError({ code: GrpcCode.UNAUTHENTICATED, message: `unauthenticated: ${outcome.reason}` }),
            );
          client.authenticatedAs = outcome.identity;
        }
      }
      let request = call.request;
      const encoding = takenCompression(stream);
      if (encoding !== undefined) {
        // Decompressed here, not by grpc-js (streamAdmission.ts): only while the call's bytes are reserved, its
        // output reserved at its size before it is kept (UNAVAILABLE with RetryInfo when that does not fit).
        const inflated = await inflateRequest(request, {
          encoding,
          bytesMax: this.o.config.max_recv_msg_size_mib * MIB,
          reserve: (bytes) => callInflating(stream, bytes),
          refused: () => inflateRefusedStatus(stream),
        });
        callInflated(stream, inflated.ok ? inflated.heldBytes : 0);
        if (!inflated.ok) return cb(statusError(inflated.status));
        request = inflated.bytes;
        // The client gave up on the call (its deadline, a cancel) while it was being decompressed: no one will
        // be told these records are durable, and a retry brings them again; written, they would only be a
        // duplicate (delivery is at-least-once, receiver.md §4).
        if (call.cancelled)
          return cb(statusError({ code: GrpcCode.CANCELLED, message: 'call cancelled by the client' }));
      }
      // keepWireBytes: the request (grpc-js's own buffer or inflateRequest's output) is never written
      // after decoding, so a record's canonical bytes can be stored as they came (docs/record-encoding.md).
      const records = decodeOtlpLogsProtobuf(request, { limits: this.o.limits, keepWireBytes: true });
      if (records.length > 0) {
        stampClient(records, client);
        await this.o.next.consumeLogs({ records, client });
      }
      cb(null, Buffer.alloc(0));
    } catch (err) {
      const partial = partialSuccessOf(err);
      if (partial !== undefined) return cb(null, Buffer.from(encodeResponseProtobuf(partial)));
      cb(statusError(mapPipelineError(err)));
    }
  }
}

/** The HTTP/2 stream under a grpc-js call (a private field; undefined if this grpc-js has another shape). */
function http2StreamOf(call: grpc.ServerUnaryCall<Buffer, Buffer>): http2.ServerHttp2Stream | undefined {
  return (call as unknown as { call?: { stream?: http2.ServerHttp2Stream } }).call?.stream;
}

/**
 * The peer's address without the port. The HTTP/2 session's socket knows it
 * exactly; `getPeer()` strings (`ipv4:1.2.3.4:5678`, `ipv6:[::1]:5678`,
 * `unix:/path`) are the fallback.
 */
export function peerAddress(peer: string, socket?: { remoteAddress?: string | undefined }): string {
  if (socket?.remoteAddress) return plainAddress(socket.remoteAddress);
  if (peer.startsWith('unix:') || peer === '') return 'unix';
  const p = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracketed?.[1]) return plainAddress(bracketed[1]);
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(p);
  return v4?.[1] ?? p;
}
