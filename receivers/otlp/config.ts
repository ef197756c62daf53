/**
 * `otlp` receiver configuration: the Collector's `otlpreceiver` keys
 * (confighttp / configgrpc / configtls), plus otel-audit's `limits`.
 * Durations are Go duration strings, each at most Node's longest timer
 * (2^31-1 ms, 596h31m23.647s): refused at config load beyond it, with the
 * key's path, instead of failing at start (Node's ERR_OUT_OF_RANGE) or
 * running a timer after 1 ms. See README.md in this folder.
 */
import http from 'node:http';
import { z } from 'zod';
import { TIMER_MS_MAX, timerDurationMs } from '../../config/duration.ts';
import { MAX_HEADER_LIST_BYTES, STREAM_BYTES_MAX } from './grpc/streamCost.ts';

export const OTLP_TYPE = 'otlp';

const tls = z.strictObject({
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  cert_pem: z.string().min(1).optional(),
  key_pem: z.string().min(1).optional(),
  /** CA to verify client certificates: setting it requires and verifies them (mutual TLS). */
  client_ca_file: z.string().min(1).optional(),
  ca_file: z.string().min(1).optional(),
  min_version: z.enum(['1.0', '1.1', '1.2', '1.3']).optional(),
  max_version: z.enum(['1.0', '1.1', '1.2', '1.3']).optional(),
  reload_interval: timerDurationMs().optional(),
});

const auth = z.strictObject({
  authenticator: z.string().min(1),
});

/** Whether Node accepts `name` (and `value`) in a response header: checked at config time, not per request. */
function headerProblem(name: string, value?: string): string | undefined {
  try {
    http.validateHeaderName(name);
    if (value !== undefined) http.validateHeaderValue(name, value);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const headerName = z.string().superRefine((name, ctx) => {
  const problem = headerProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a valid HTTP header name: ${problem}` });
});

const cors = z.strictObject({
  allowed_origins: z.array(z.string()).default([]),
  allowed_headers: z.array(headerName).default([]),
  max_age: z.number().int().min(0).default(0),
});

/**
 * Node runs a `setTimeout` of more than 2^31-1 ms after 1 ms instead (TimeoutOverflowWarning): a gRPC
 * duration that becomes a timer (ours or grpc-js's) is refused beyond it. Before, `read_timeout: 600h`
 * answered DEADLINE_EXCEEDED to any call whose request took over 1 ms to arrive (3 of 5 calls of 1 MB on
 * loopback). grpc-js adds up to +10% jitter to `max_connection_age`.
 */
const CONNECTION_AGE_MS_MAX = Math.floor(TIMER_MS_MAX / 1.1);

const keepalive = z.strictObject({
  server_parameters: z
    .strictObject({
      max_connection_idle: timerDurationMs().optional(),
      max_connection_age: timerDurationMs(CONNECTION_AGE_MS_MAX).optional(),
      max_connection_age_grace: timerDurationMs().optional(),
      time: timerDurationMs().optional(),
      timeout: timerDurationMs().optional(),
    })
    .optional(),
  enforcement_policy: z
    .strictObject({ min_time: timerDurationMs().optional(), permit_without_stream: z.boolean().optional() })
    .optional(),
});

const MIB = 1024 * 1024;
const INFLIGHT_DEFAULT_MIB = 128;
/** Unset `max_inflight_bytes_per_connection_mib`: a quarter of the budget (4 connections to hold all of it). */
const CONNECTION_SHARE_DEFAULT_DIVISOR = 4;

/** HTTP/2's default SETTINGS_MAX_FRAME_SIZE, the DATA frames gRPC clients send; and a frame's header. */
const FRAME_BYTES = 16_384;
const FRAME_HEADER_BYTES = 9;

/**
 * The largest call a gRPC server must be able to admit on its own, or its sender retries it forever
 * (streamAdmission.ts): its stream window, a compressed message of max_recv_msg_size_mib twice with its
 * 5-byte prefix (the chunks it arrived in and grpc-js's joined copy) and its decompressed copy; plus what the
 * socket reads the message arrives in hold beyond it (pinnedBuffers.ts) that its window does not cover: the
 * 9-byte headers of its DATA frames (16 KiB frames) and one more frame for its HEADERS and whatever else shares
 * those reads. Without that, with a 64 KiB window and max_recv_msg_size_mib over ~119 (65,535 × 16384 / 9),
 * the largest compressed call did not fit an unset budget (the largest call to the byte): refused every time.
 * Calls sent in smaller frames (e.g. re-framed by a proxy) hold more: MiB budgets usually leave room for them.
 * And what its open stream costs with the largest header list the server accepts (grpc/streamCost.ts: 16 KiB
 * + every header byte over 4 KiB, up to MAX_HEADER_LIST_BYTES, 64 KiB: 77,824 bytes). Counting 4 KiB of
 * headers only, a call near max_recv_msg_size_mib with more (a large JWT) was refused on every retry at the
 * smallest budget or share accepted, and with the budget unset when that is the largest call.
 */
function largestCallBytes(c: {
  readonly initial_window_size: number;
  readonly max_recv_msg_size_mib: number;
}): number {
  const messageBytes = c.max_recv_msg_size_mib * MIB;
  const framing =
    FRAME_HEADER_BYTES * Math.ceil((5 + messageBytes) / FRAME_BYTES) + FRAME_HEADER_BYTES + FRAME_BYTES;
  const framingBeyondWindow = Math.max(0, framing - c.initial_window_size);
  return STREAM_BYTES_MAX + c.initial_window_size + 2 * 5 + 3 * messageBytes + framingBeyondWindow;
}

/**
 * What an unset `max_inflight_bytes_mib` or `max_inflight_bytes_per_connection_mib` gives beyond the largest
 * call, when that is what it comes to: a sixteenth more. The reads a call arrives in hold 9 bytes per DATA
 * frame beyond what it reserves, counted above for 16 KiB frames; a sender or proxy that re-frames into
 * smaller DATA frames adds more (1 KiB frames: ~0.9% of the message), as would a grpc-js or Node change in
 * what the largest call holds. With no margin the unset budget was the largest call to the byte.
 */
function largestCallWithMarginBytes(c: Parameters<typeof largestCallBytes>[0]): number {
  const largest = largestCallBytes(c);
  return largest + Math.ceil(largest / 16);
}

export const grpcSchema = z
  .strictObject({
    endpoint: z.string().min(1).default('localhost:4317'),
    transport: z.enum(['tcp', 'unix']).default('tcp'),
    tls: tls.optional(),
    auth: auth.optional(),
    max_recv_msg_size_mib: z.number().int().min(1).max(1024).default(4),
    /**
     * HTTP/2 streams (calls) per connection (the Collector's configgrpc key). 0: no limit (grpc-js's
     * default). Request memory is bounded by `max_inflight_bytes_mib`, all connections together.
     */
    max_concurrent_streams: z.number().int().min(0).default(16),
    read_buffer_size: z.number().int().min(0).optional(),
    write_buffer_size: z.number().int().min(0).optional(),
    keepalive: keepalive.optional(),
    include_metadata: z.boolean().default(false),
    /** otel-audit: calls handled at once; more get UNAVAILABLE with RetryInfo. Bounds memory like HTTP's. */
    max_concurrent_requests: z.number().int().min(1).default(64),
    /**
     * otel-audit: connections open at once (per listening address; Node `net.Server.maxConnections`); more are
     * closed as soon as they are accepted, and the client reconnects with backoff. 0: no limit.
     */
    max_connections: z.number().int().min(0).default(1024),
    /**
     * otel-audit: a call's request message must arrive whole within it, from the call's headers; the call is
     * then ended with DEADLINE_EXCEEDED (retryable). Like `http::read_timeout`. 0: no limit.
     */
    read_timeout: timerDurationMs().default(30_000),
    /**
     * otel-audit: a new connection must send its HTTP/2 preface within it (after the TLS handshake, which Node
     * bounds at 120 s), or it is closed. Every HTTP/2 client sends it at once. 0: no limit.
     */
    preface_timeout: timerDurationMs().default(10_000),
    /**
     * otel-audit: HTTP/2 receive windows (grpc-go's InitialWindowSize / InitialConnWindowSize). Node's default,
     * 64 KiB, makes a client wait for WINDOW_UPDATEs several times per ordinary request (512 records ≈ 190 KB).
     * A connection buffers at most `initial_conn_window_size` that the server has not read yet.
     */
    initial_window_size: z
      .number()
      .int()
      .min(65_535)
      .max(2 ** 31 - 1)
      .default(1024 * 1024),
    initial_conn_window_size: z
      .number()
      .int()
      .min(65_535)
      .max(2 ** 31 - 1)
      .default(4 * 1024 * 1024),
    /**
     * otel-audit: gRPC request data held in memory by this server, all connections together (MiB). A call
     * reserves what its open stream costs from its headers (16 KiB, more with headers over 4 KiB; header lists
     * over 64 KiB are refused by HTTP/2),
     * `initial_window_size` from its first DATA frame until its request is read, and twice its message's size
     * (the chunks and grpc-js's joined copy) from the message's 5-byte prefix, before the message is read (plus
     * its decompressed size if compressed, reserved as it is decompressed); a call whose
     * reservation does not fit gets UNAVAILABLE with RetryInfo at once. Unset: 128, or the largest call and a sixteenth if that is more (`inflightBudgetBytesOf`).
     * 0: no limit (then at most max_connections × max_concurrent_streams × max_recv_msg_size_mib). No
     * Collector equivalent in configgrpc; otelarrowreceiver's `admission::request_limit_mib` (also 128) is
     * the nearest.
     */
    max_inflight_bytes_mib: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024)
      .optional(),
    /**
     * otel-audit: what one HTTP/2 connection's calls may reserve of `max_inflight_bytes_mib` (MiB), so that one
     * connection (a peer that opens streams and stalls them, a client multiplexing many calls) cannot hold the
     * whole budget and stall intake for the others. Unset: a quarter of the budget (32 MiB by default), or the
     * largest call and a sixteenth if that is more. 0: no per-connection limit (the whole budget). More than the budget: the
     * budget.
     */
    max_inflight_bytes_per_connection_mib: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024)
      .optional(),
  })
  .superRefine((c, ctx) => {
    const perConnection = c.max_inflight_bytes_per_connection_mib;
    if (perConnection !== undefined && perConnection > 0) {
      if (c.max_inflight_bytes_mib === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['max_inflight_bytes_per_connection_mib'],
          message:
            'has no effect with max_inflight_bytes_mib: 0 (no budget to share); remove it or set max_inflight_bytes_mib',
        });
      else if (perConnection * MIB < largestCallBytes(c))
        ctx.addIssue({
          code: 'custom',
          path: ['max_inflight_bytes_per_connection_mib'],
          message: `must hold the largest call (as max_inflight_bytes_mib must): ${largestCallBytes(c)} bytes (${Math.ceil(largestCallBytes(c) / MIB)} MiB) with this initial_window_size and max_recv_msg_size_mib, or be 0 (no per-connection limit)`,
        });
    }
    if (c.max_inflight_bytes_mib === undefined || c.max_inflight_bytes_mib === 0) return;
    const largest = largestCallBytes(c);
    if (c.max_inflight_bytes_mib * MIB < largest)
      ctx.addIssue({
        code: 'custom',
        path: ['max_inflight_bytes_mib'],
        message: `must hold the largest call: ${STREAM_BYTES_MAX} bytes (its stream, with a header list of ${MAX_HEADER_LIST_BYTES} bytes, the most the server accepts) + initial_window_size + 2 × (5 + max_recv_msg_size_mib) + max_recv_msg_size_mib (a compressed message, grpc-js's joined copy of it and its decompressed copy), plus its HTTP/2 frame headers beyond initial_window_size = ${largest} bytes (${Math.ceil(largest / MIB)} MiB), or be 0 (no limit)`,
      });
  });

export const httpSchema = z.strictObject({
  endpoint: z.string().min(1).default('localhost:4318'),
  /** otel-audit: `unix` listens on the socket path given as `endpoint`. */
  transport: z.enum(['tcp', 'unix']).default('tcp'),
  tls: tls.optional(),
  auth: auth.optional(),
  cors: cors.optional(),
  max_request_body_size: z
    .number()
    .int()
    .min(1)
    .default(20 * 1024 * 1024),
  include_metadata: z.boolean().default(false),
  logs_url_path: z.string().startsWith('/').default('/v1/logs'),
  traces_url_path: z.string().startsWith('/').default('/v1/traces'),
  metrics_url_path: z.string().startsWith('/').default('/v1/metrics'),
  compression_algorithms: z
    .array(z.enum(['', 'gzip', 'zstd', 'zlib', 'deflate', 'br', 'snappy', 'lz4']))
    .optional(),
  response_headers: z
    .record(z.string(), z.string())
    .superRefine((headers, ctx) => {
      for (const [name, value] of Object.entries(headers)) {
        const problem = headerProblem(name, value);
        if (problem)
          ctx.addIssue({ code: 'custom', path: [name], message: `not a valid HTTP header: ${problem}` });
      }
    })
    .optional(),
  /** Whole request, headers and body (Node `requestTimeout`); a slow sender holds a `max_concurrent_requests` slot until it. 0: none. */
  read_timeout: timerDurationMs().default(30_000),
  /** Request headers (Node `headersTimeout`, at most `read_timeout`). 0: `read_timeout`. */
  read_header_timeout: timerDurationMs().default(10_000),
  write_timeout: timerDurationMs().optional(),
  /** Node `keepAliveTimeout`: a socket timer. */
  idle_timeout: timerDurationMs().optional(),
  keep_alives_enabled: z.boolean().optional(),
  /**
   * otel-audit: requests handled at once; more get 503 with Retry-After before their body is read.
   * Bounds memory: at most this many bodies of max_request_body_size (and their decoded records).
   */
  max_concurrent_requests: z.number().int().min(1).default(32),
  /**
   * otel-audit: connections open at once (Node `net.Server.maxConnections`), as for gRPC; more are closed as
   * soon as they are accepted (the client reconnects). Bounds sockets and their buffers against a flood of idle
   * connections, which `max_concurrent_requests` does not see. 0: no limit.
   */
  max_connections: z.number().int().min(0).default(1024),
});

/** otel-audit: bounds on untrusted input, checked while decoding; a violation is a 400 / INVALID_ARGUMENT. */
export const limitsSchema = z.strictObject({
  max_records_per_request: z.number().int().min(1).default(100_000),
  max_attributes_per_record: z.number().int().min(0).default(1_024),
  max_array_length: z.number().int().min(0).default(65_536),
  max_nesting_depth: z.number().int().min(1).max(32).default(32),
  max_string_bytes: z
    .number()
    .int()
    .min(0)
    .default(4 * 1024 * 1024),
  max_bytes_length: z
    .number()
    .int()
    .min(0)
    .default(4 * 1024 * 1024),
  /**
   * Messages (protobuf) or objects and arrays (JSON) in one request, counted before they are built:
   * bounds the decoding memory of a request (~95-500 bytes of heap each). 2 Mi: a 20 MiB body of
   * ordinary records holds ~0.9 Mi; 2 Mi empty messages take ~200 MB while decoding.
   */
  max_elements_per_request: z.number().int().min(1).default(2_097_152),
});

export const otlpConfigSchema = z
  .strictObject({
    protocols: z.strictObject({
      grpc: grpcSchema.nullable().optional(),
      http: httpSchema.nullable().optional(),
    }),
    limits: limitsSchema.default(limitsSchema.parse({})),
  })
  .superRefine((c, ctx) => {
    if (c.protocols.grpc === undefined && c.protocols.http === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['protocols'],
        message: 'must specify at least one protocol when using the OTLP receiver',
      });
    }
  });

export type OtlpConfig = z.output<typeof otlpConfigSchema>;
export type OtlpGrpcConfig = z.output<typeof grpcSchema>;
export type OtlpHttpConfig = z.output<typeof httpSchema>;
export type OtlpLimitsConfig = z.output<typeof limitsSchema>;

/** Present-but-empty (`grpc:`) means the protocol with its defaults, as in the Collector. */
export function grpcConfigOf(c: OtlpConfig): OtlpGrpcConfig | undefined {
  if (c.protocols.grpc === undefined) return undefined;
  return c.protocols.grpc ?? grpcSchema.parse({});
}

/** `max_inflight_bytes_mib` in bytes: 0 for no limit; unset, 128 MiB or the largest call and a sixteenth if that is more. */
export function inflightBudgetBytesOf(c: OtlpGrpcConfig): number {
  if (c.max_inflight_bytes_mib !== undefined) return c.max_inflight_bytes_mib * MIB;
  return Math.max(INFLIGHT_DEFAULT_MIB * MIB, largestCallWithMarginBytes(c));
}

/**
 * Each connection's share of the budget in bytes (`max_inflight_bytes_per_connection_mib`): unset, a quarter
 * of the budget or the largest call and a sixteenth if that is more; 0, or more than the budget, the budget. 0 when there is no
 * budget.
 */
export function connectionShareBytesOf(c: OtlpGrpcConfig): number {
  const budget = inflightBudgetBytesOf(c);
  const perConnection = c.max_inflight_bytes_per_connection_mib;
  if (budget === 0) return 0;
  if (perConnection === 0) return budget;
  if (perConnection !== undefined) return Math.min(budget, perConnection * MIB);
  return Math.min(
    budget,
    Math.max(Math.ceil(budget / CONNECTION_SHARE_DEFAULT_DIVISOR), largestCallWithMarginBytes(c)),
  );
}

export function httpConfigOf(c: OtlpConfig): OtlpHttpConfig | undefined {
  if (c.protocols.http === undefined) return undefined;
  return c.protocols.http ?? httpSchema.parse({});
}

/** `protocols` has no default: which protocols to serve is the user's choice (as in the Collector). */
export function createDefaultOtlpConfig(): unknown {
  return { limits: limitsSchema.parse({}) };
}
