/**
 * HTTP/2 transport settings grpc-js's server does not offer as options
 * (grpc-js 1.14): the flow-control windows, the largest header list a
 * stream may send (64 KiB, streamCost.ts), a bound on connections, a
 * deadline for a new connection's HTTP/2 preface, one for each call's
 * request (`read_timeout`) and the shared budget of request bytes in flight
 * (`max_inflight_bytes_mib`, streamAdmission.ts). They are set on the Node
 * `http2` servers grpc-js listens with, which it keeps in a private field;
 * `http2ServersOf` checks that field's shape and fails the start loudly
 * (receivers/otlp/grpc/OtlpGrpcServer.test.ts pins it) rather than letting a
 * grpc-js upgrade silently drop the limits.
 *
 * Why the windows: Node's HTTP/2 default is 64 KiB for a stream and for the
 * connection, so a 193 KB request (512 records) waited for ~6
 * WINDOW_UPDATE round trips, each a wake-up of both processes. Measured
 * (grpc-js server answering without decoding, client in another process,
 * server CPU per record over 2.5 s windows, 3 interleaved rounds): 1.82 →
 * 1.31 µs/record with 1 MiB stream / 4 MiB connection windows (4 MiB / 16 MiB
 * gave the same, 1.30). A larger SETTINGS_MAX_FRAME_SIZE did not help (1.80).
 */
import type http2 from 'node:http2';
import type net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { OtelAuditError } from '../../../src/errors.ts';
import { armReadTimeout } from './readTimeout.ts';
import { admitStream, type StreamAdmissionOptions } from './streamAdmission.ts';
import { MAX_HEADER_LIST_BYTES } from './streamCost.ts';

/** Node's HTTP/2 servers (`Http2Server` / `Http2SecureServer`) grpc-js bound, at least one after `bindAsync`. */
type AnyHttp2Server = http2.Http2Server | http2.Http2SecureServer;

export interface Http2TransportOptions {
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on one call before the server reads them. */
  readonly streamWindowBytes: number;
  /** The connection's receive window (all its calls together). */
  readonly connectionWindowBytes: number;
  /** Connections open at once per listening address; more are closed on accept. 0: no limit. */
  readonly maxConnections: number;
  /** A connection that has not sent its HTTP/2 preface (SETTINGS) this long after it was set up (TLS included) is destroyed. 0: no limit. */
  readonly prefaceTimeoutMs: number;
  /** A call whose request has not fully arrived this long after its headers is answered and reset (readTimeout.ts). 0: no limit. */
  readonly readTimeoutMs: number;
  /** The shared budget for request data in flight (streamAdmission.ts). Absent: no limit. */
  readonly admission?: StreamAdmissionOptions | undefined;
}

export function http2ServersOf(server: grpc.Server): AnyHttp2Server[] {
  const field = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(field instanceof Map))
    throw new OtelAuditError(
      'LIFECYCLE',
      'otlp grpc: this @grpc/grpc-js version keeps no http2Servers map; the HTTP/2 window, connection and preface settings cannot be applied',
    );
  return [...field.keys()].filter(
    (s): s is AnyHttp2Server => typeof (s as { updateSettings?: unknown }).updateSettings === 'function',
  );
}

/** Applies `o` to every HTTP/2 server of `server` (call after `bindAsync` succeeded). */
export function tuneHttp2Transport(server: grpc.Server, o: Http2TransportOptions): void {
  const servers = http2ServersOf(server);
  if (servers.length === 0)
    throw new OtelAuditError('LIFECYCLE', 'otlp grpc: grpc-js bound no HTTP/2 server to tune');
  for (const h of servers) {
    // Sent in the SETTINGS frame of every later session (none exists yet: the server just started). Node
    // enforces maxHeaderListSize on every stream once the client has acknowledged it (streamCost.ts).
    h.updateSettings({ initialWindowSize: o.streamWindowBytes, maxHeaderListSize: MAX_HEADER_LIST_BYTES });
    if (o.maxConnections > 0) (h as net.Server).maxConnections = o.maxConnections;
    h.on('session', (session: http2.ServerHttp2Session) => {
      session.setLocalWindowSize(o.connectionWindowBytes);
      if (o.prefaceTimeoutMs > 0) armPrefaceTimeout(session, o.prefaceTimeoutMs);
    });
    if (o.readTimeoutMs > 0)
      h.on('stream', (stream: http2.ServerHttp2Stream) => armReadTimeout(stream, o.readTimeoutMs));
    // Added after grpc-js's own 'stream' listener (bindAsync): the call exists when a stream is admitted.
    const admission = o.admission;
    if (admission)
      h.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) =>
        admitStream(stream, headers, admission),
      );
  }
}

/**
 * A session exists as soon as a plain connection is accepted (after the handshake with TLS, which Node
 * itself bounds with `tls.Server`'s 120 s `handshakeTimeout`); every HTTP/2 client sends its preface, which
 * ends with SETTINGS, right away. A peer that opens a connection and sends nothing, or too little, would
 * otherwise hold it (and a `max_connections` slot) until keepalive, if configured, notices.
 */
function armPrefaceTimeout(session: http2.ServerHttp2Session, timeoutMs: number): void {
  const timer = setTimeout(() => session.destroy(), timeoutMs);
  timer.unref();
  const clear = (): void => clearTimeout(timer);
  session.once('remoteSettings', clear);
  session.once('close', clear);
}
