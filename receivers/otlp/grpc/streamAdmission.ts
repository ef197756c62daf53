/**
 * Admission of OTLP/gRPC calls against the server's shared byte budget
 * (inflightBudget.ts, `grpc::max_inflight_bytes_mib`), on grpc-js's HTTP/2
 * streams. grpc-js reads a call's whole message before any handler runs, so
 * the bound has to sit under it, on the stream. Every reservation is made
 * in the call's connection's share (connectionShare.ts,
 * `max_inflight_bytes_per_connection_mib`) as well as in the budget: one
 * connection cannot hold the whole budget. With an authenticator
 * configured, a stream's headers are authenticated first, and a call whose
 * credentials are refused is answered UNAUTHENTICATED at once (its handler's
 * answer) without reserving or reading anything; the handler then uses that
 * outcome (`admittedIdentity`). What a call reserves:
 *
 * - from its headers: what the open stream itself costs (streamCost.ts,
 *   16 KiB, more with large headers), so that streams that send nothing
 *   are bounded by the budget too;
 * - from its first DATA chunk until its request has been read to
 *   END_STREAM: the stream window (`initial_window_size`), what the client
 *   may send that Node buffers before anything reads it. Not at its
 *   headers: ~128 streams that sent nothing held the whole default budget
 *   until `read_timeout`, for every connection (now 8,192 would). Every
 *   chunk of a stream reaches the listener here as it arrives, so the
 *   first one is seen before Node buffers more: grpc-js reads the stream of
 *   every call it handles from its headers, and one it answers itself
 *   without reading it (unknown method, wrong content-type) Node closes once
 *   answered (test/grpc-memory.test.ts; this listener, prepended, does not
 *   make a stream flow);
 * - from each gRPC message prefix (flag byte + 4-byte length), read as the
 *   data arrives and before grpc-js has the message: 5 + the length for the
 *   chunks it arrives in, and 5 + the length again for the copy grpc-js's
 *   decoder joins them into once it is complete (Buffer.concat, kept with
 *   the chunks for the whole call: the handler's request is a view of it);
 *   when the length is over `max_recv_msg_size_mib`, grpc-js refuses the
 *   call on that prefix and holds nothing of it;
 * - for a gzip or deflate message, its decompressed copy at its size, when
 *   the handler decompresses it (`callInflating`, inflateRequest.ts), settled
 *   once decompressed (`callInflated`); a reservation that does not fit there
 *   stops the decompression and the handler answers UNAVAILABLE with
 *   RetryInfo (`inflateRefusedStatus`). Before, it was
 *   reserved up front at `max_recv_msg_size_mib`, so one connection's default
 *   share (32 MiB) held only ~6 compressed calls at once, where a Collector's
 *   exporter sends up to 10 over one connection. A compressed message of
 *   another encoding (which grpc-js refuses) still reserves
 *   `max_recv_msg_size_mib` up front, settled when its handler starts;
 * - the socket reads its chunks are views of, beyond what the messages
 *   reserve (pinnedBuffers.ts: grpc-js keeps those views);
 * - all of it until the stream has closed AND the handler (if it started)
 *   has finished: the handler holds the message until its records are
 *   durable, even when the client has gone.
 *
 * A reservation that does not fit (in the connection's share or in the
 * budget) ends the call at once, before any more of it is read: a
 * trailers-only UNAVAILABLE with RetryInfo (the sender keeps its records and
 * retries), then RST_STREAM(NO_ERROR) so the client stops sending (RFC 9113
 * §8.1), as readTimeout.ts does (refuseStream.ts). grpc-js's call, whose
 * handler has not run, ends as cancelled. Every byte grpc-js is given
 * belongs to a prefix or a body already reserved, and every read its chunks
 * keep alive is counted (pinnedBuffers.ts).
 *
 * gzip and deflate messages are decompressed by the handler, not by grpc-js
 * (`takenCompression`): grpc-js 1.14 decompresses a message as soon as it is
 * read and goes on after the call was reset, when its reservation is gone —
 * 1 KiB gzip bombs of 1 MiB, each reset at once, had ~400 MiB decompressed
 * at once against a 4 MiB budget (test/grpc-memory.test.ts). So the message's
 * compressed flag is cleared in the chunk, before grpc-js's own 'data'
 * listener gets that same Buffer (grpc-js then hands the handler the bytes
 * as they are), and the handler, which holds the call's reservation until it
 * ends, decompresses them. Other encodings are left to grpc-js (which
 * refuses them without decompressing anything).
 */
import http2 from 'node:http2';
import type { ServerAuthenticator } from '../../../extensions/Authenticator.ts';
import { RETRY_AFTER_MS } from '../errorMapping.ts';
import { GrpcCode, type RpcStatus } from '../rpcStatus.ts';
import { authRequestOfHeaders } from './callMetadata.ts';
import { ConnectionShare } from './connectionShare.ts';
import type { InflightBudget } from './inflightBudget.ts';
import type { PinnedBuffers } from './pinnedBuffers.ts';
import { refuseStream } from './refuseStream.ts';
import { STREAM_BYTES_MAX, streamCostBytes } from './streamCost.ts';

const PREFIX_BYTES = 5;

export interface StreamAdmissionOptions {
  readonly budget: InflightBudget;
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on a stream before the server reads it. */
  readonly streamWindowBytes: number;
  /** grpc-js's `grpc.max_receive_message_length` (a message after decompression). */
  readonly maxMessageBytes: number;
  /** The receiver's authenticator: a call is authenticated at its headers, before it reserves anything. */
  readonly authenticator?: ServerAuthenticator | undefined;
}

const accounts = new WeakMap<http2.ServerHttp2Stream, StreamAccount>();
const shares = new WeakMap<http2.Http2Session, ConnectionShare>();

/** Encodings whose messages the handler decompresses instead of grpc-js (what grpc-js 1.14 decompresses). */
const TAKEN_ENCODINGS: ReadonlySet<string> = new Set(['gzip', 'deflate']);

/**
 * Called for every new stream, after grpc-js's own 'stream' listener (it has created the call).
 * `headers`: the request's, for its `grpc-encoding`.
 */
export function admitStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  o: StreamAdmissionOptions,
): void {
  const session = stream.session;
  if (stream.closed || stream.destroyed || session === undefined) return;
  const streamBytes = streamCostBytes(headers);
  // Node enforces the header list limit it advertises (http2Transport.ts) only once the client has
  // acknowledged it: a request sent with the client's preface was read whatever its headers (70 KB measured,
  // raw client). Refused here as Node refuses it afterwards, so that no stream costs more than config.ts's
  // largest call counts.
  if (streamBytes > STREAM_BYTES_MAX) {
    o.budget.countHeaderListRefusal();
    return stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }
  let identity: string | undefined;
  if (o.authenticator) {
    const outcome = authenticate(o.authenticator, headers);
    if (outcome?.ok === false) {
      o.budget.countUnauthenticated();
      return refuseStream(stream, {
        code: GrpcCode.UNAUTHENTICATED,
        message: `unauthenticated: ${outcome.reason}`,
      });
    }
    identity = outcome?.identity;
  }
  let share = shares.get(session);
  if (share === undefined) {
    share = new ConnectionShare(o.budget, o.budget.connectionLimitBytes);
    shares.set(session, share);
  }
  if (!share.tryReserve(streamBytes)) return refuse(stream, o, share);
  const encoding = headers['grpc-encoding'];
  const taken = typeof encoding === 'string' && TAKEN_ENCODINGS.has(encoding) ? encoding : undefined;
  accounts.set(stream, new StreamAccount(stream, o, share, streamBytes, taken, identity));
}

/** The authenticator's outcome for `headers`; undefined if it threw (the handler authenticates the call again). */
function authenticate(
  authenticator: ServerAuthenticator,
  headers: http2.IncomingHttpHeaders,
): { ok: true; identity: string } | { ok: false; reason: string } | undefined {
  try {
    return authenticator.authenticate(authRequestOfHeaders(headers));
  } catch {
    return undefined;
  }
}

/**
 * The identity the authenticator gave the call of `stream` at its headers; undefined when it was not
 * authenticated there (no authenticator, no budget, or the authenticator threw): the handler authenticates it.
 */
export function admittedIdentity(stream: http2.ServerHttp2Stream | undefined): string | undefined {
  return stream ? accounts.get(stream)?.identity : undefined;
}

/**
 * The handler has the request of `stream` as grpc-js gives it (compressed if `takenCompression`): hold
 * the bytes until `callEnded`; when it is not compressed, its size is settled now.
 */
export function callStarted(stream: http2.ServerHttp2Stream | undefined, requestBytes: number): void {
  if (stream) accounts.get(stream)?.handlerStarted(requestBytes);
}

/**
 * The encoding (`gzip`, `deflate`) of the request of `stream` when its compressed flag was cleared here, so
 * that grpc-js handed it over still compressed: the handler must decompress it (at most
 * `max_recv_msg_size_mib`), then call `callInflated`. Undefined: the request is as sent, decompressed.
 */
export function takenCompression(stream: http2.ServerHttp2Stream | undefined): string | undefined {
  return stream ? accounts.get(stream)?.takenEncoding() : undefined;
}

/**
 * The handler, decompressing the request of `stream`, needs `bytes` more for its decompressed copy: reserves
 * them in the connection's share and the budget; false (nothing reserved, the refusal counted) when they do
 * not fit: the handler stops, gives up (`callInflated(stream, 0)`) and answers `inflateRefusedStatus`.
 */
export function callInflating(stream: http2.ServerHttp2Stream | undefined, bytes: number): boolean {
  const account = stream ? accounts.get(stream) : undefined;
  return account ? account.reserveInflate(bytes) : true;
}

/** The answer to a call whose decompressed copy did not fit (`callInflating` false): UNAVAILABLE with RetryInfo. */
export function inflateRefusedStatus(stream: http2.ServerHttp2Stream | undefined): RpcStatus {
  const account = stream ? accounts.get(stream) : undefined;
  return account
    ? account.refusalStatus()
    : {
        code: GrpcCode.UNAVAILABLE,
        message: 'too much gRPC request data in flight',
        retryDelayMs: RETRY_AFTER_MS.queueFull,
      };
}

/** The handler decompressed the request of `stream` to `requestBytes` (or gave up: 0): settle its size. */
export function callInflated(stream: http2.ServerHttp2Stream | undefined, requestBytes: number): void {
  if (stream) accounts.get(stream)?.settleInflate(requestBytes);
}

export function callEnded(stream: http2.ServerHttp2Stream | undefined): void {
  if (stream) accounts.get(stream)?.handlerEnded();
}

class StreamAccount {
  private readonly stream: http2.ServerHttp2Stream;
  private readonly o: StreamAdmissionOptions;
  /** The connection's share: every reservation of this call is made in it (and so in the budget). */
  private readonly share: ConnectionShare;
  /** From the authenticator at the stream's headers (see `admittedIdentity`). */
  readonly identity: string | undefined;
  /** What the open stream costs (streamCost.ts), reserved from its headers. */
  private streamBytes: number;
  /** The stream window, reserved from the first DATA chunk until END_STREAM. */
  private windowBytes = 0;
  private windowReserved = false;
  /** Reserved for messages: their chunks and grpc-js's joined copy, 2 × (5 + length) each. */
  private messageBytes = 0;
  /** Part of `messageBytes` the socket reads hold (the chunks, 5 + length each): credit in `pinned`. */
  private chunkBytes = 0;
  private inflateBytes = 0;
  private handlers = 0;
  private streamClosed = false;
  // gRPC message framing, parsed across chunks
  private prefixFill = 0;
  private compressed = false;
  private length = 0;
  private bodyLeft = 0;
  /** The body being read is one grpc-js refused (over `maxMessageBytes`): it keeps none of it. */
  private skipping = false;
  /** The read buffers this call's chunks are views of (grpc-js keeps them), and where they are counted. */
  private readonly buffers = new Set<ArrayBufferLike>();
  private readonly pinned: PinnedBuffers;
  /** The request's encoding when its compressed messages are decompressed by the handler (see above). */
  private readonly taken: string | undefined;
  /** A compressed flag was cleared: grpc-js hands the handler compressed bytes. */
  private flagCleared = false;
  private readonly onData = (chunk: Buffer): void => this.read(chunk);

  constructor(
    stream: http2.ServerHttp2Stream,
    o: StreamAdmissionOptions,
    share: ConnectionShare,
    streamBytes: number,
    taken: string | undefined,
    identity: string | undefined,
  ) {
    this.stream = stream;
    this.o = o;
    this.share = share;
    this.streamBytes = streamBytes;
    this.identity = identity;
    this.taken = taken;
    this.pinned = share.pinned;
    // Before grpc-js's listener: a call refused here never hands grpc-js the chunk (it finds the stream closed).
    stream.prependListener('data', this.onData);
    stream.once('end', () => {
      share.release(this.windowBytes);
      // Reads kept beyond the messages no longer count on the window (reserved again at most what it was).
      this.pinned.debit(this.windowBytes);
      this.windowBytes = 0;
    });
    // After grpc-js's own answer (trailers-only, or its trailers once 'wantTrailers' is emitted, after 'finish').
    stream.once('finish', () => this.endIfAnswered());
    stream.once('close', () => {
      this.streamClosed = true;
      this.stream.off('data', this.onData);
      this.releaseIfDone();
    });
  }

  /**
   * Our side of the stream has finished: when the call was answered (its grpc-status sent) before the client
   * ended its request — grpc-js answering by itself: the deadline of its `grpc-timeout`, a message over
   * max_recv_msg_size_mib, a second message — the client may keep the stream open, and the call its
   * reservation, until read_timeout (forever with 0). The stream is reset (RST_STREAM NO_ERROR, RFC 9113
   * §8.1, after the answer), which closes it and releases what it reserved.
   */
  private endIfAnswered(): void {
    const stream = this.stream;
    if (this.streamClosed || stream.closed || stream.destroyed || stream.state.remoteClose) return;
    if (stream.sentTrailers === undefined && !('grpc-status' in stream.sentHeaders)) {
      // Trailers to come: grpc-js sends them in its 'wantTrailers' listener, registered before this one.
      stream.once('wantTrailers', () => this.endIfAnswered());
      return;
    }
    stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }

  handlerStarted(requestBytes: number): void {
    this.handlers++;
    if (!this.flagCleared) this.settleInflate(requestBytes);
  }

  takenEncoding(): string | undefined {
    return this.flagCleared ? this.taken : undefined;
  }

  reserveInflate(bytes: number): boolean {
    if (this.share.tryReserve(bytes)) {
      this.inflateBytes += bytes;
      return true;
    }
    this.o.budget.countRefusal(this.share.lastRefusal);
    return false;
  }

  refusalStatus(): RpcStatus {
    return refusalStatusOf(this.share);
  }

  settleInflate(requestBytes: number): void {
    if (this.inflateBytes > requestBytes) {
      this.share.release(this.inflateBytes - requestBytes);
      this.inflateBytes = requestBytes;
    }
  }

  handlerEnded(): void {
    this.handlers--;
    this.releaseIfDone();
  }

  private releaseIfDone(): void {
    if (!this.streamClosed || this.handlers > 0) return;
    this.share.release(this.streamBytes + this.windowBytes + this.messageBytes + this.inflateBytes);
    this.pinned.release(this.buffers, this.windowBytes + this.chunkBytes);
    this.buffers.clear();
    this.streamBytes = this.windowBytes = this.messageBytes = this.chunkBytes = this.inflateBytes = 0;
  }

  private read(chunk: Buffer): void {
    if (!this.windowReserved && !this.reserveWindow()) return;
    // grpc-js keeps a view of this chunk: it holds a message's flag byte or body bytes grpc-js reads.
    let kept = false;
    let i = 0;
    while (i < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        this.bodyLeft -= n;
        i += n;
        if (!this.skipping) kept = true;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.prefixFill === 0) {
        kept = true;
        this.compressed = byte === 1;
        if (this.compressed && this.taken !== undefined) {
          // grpc-js's listener, after this one, reads the same Buffer: it takes the message as identity.
          chunk[i - 1] = 0;
          this.flagCleared = true;
        }
      } else this.length = this.length * 256 + byte;
      if (++this.prefixFill < PREFIX_BYTES) continue;
      this.prefixFill = 0;
      if (!this.announce(this.compressed, this.length)) return;
      this.bodyLeft = this.length;
      this.skipping = this.length > this.o.maxMessageBytes;
      this.length = 0;
    }
    if (kept && !this.buffers.has(chunk.buffer)) {
      this.buffers.add(chunk.buffer);
      if (!this.pinned.pin(chunk.buffer)) this.refuse();
    }
  }

  /** At the first DATA chunk (before it is parsed or handed to grpc-js); false if it did not fit. */
  private reserveWindow(): boolean {
    this.windowReserved = true;
    if (!this.share.tryReserve(this.o.streamWindowBytes)) {
      this.refuse();
      return false;
    }
    this.windowBytes = this.o.streamWindowBytes;
    this.pinned.credit(this.windowBytes);
    return true;
  }

  private refuse(): void {
    this.stream.off('data', this.onData);
    refuse(this.stream, this.o, this.share);
  }

  /**
   * Reserves a message whose prefix just arrived: its chunks, grpc-js's joined copy (both 5 + length) and,
   * compressed with an encoding left to grpc-js, `max_recv_msg_size_mib` for a decompressed copy (one the
   * handler decompresses reserves it at its size, `reserveInflate`); false if that did not fit (the call is
   * refused).
   */
  private announce(compressed: boolean, length: number): boolean {
    if (length > this.o.maxMessageBytes) return true; // grpc-js refuses the call on this prefix
    const framed = PREFIX_BYTES + length;
    const inflate = compressed && length > 0 && this.taken === undefined ? this.o.maxMessageBytes : 0;
    if (!this.share.tryReserve(2 * framed + inflate)) {
      this.refuse();
      return false;
    }
    this.messageBytes += 2 * framed;
    this.chunkBytes += framed;
    this.inflateBytes += inflate;
    this.pinned.credit(framed);
    return true;
  }
}

/** Ends the call of `stream`: a reservation did not fit in `share` (see the top of this file). */
function refuse(stream: http2.ServerHttp2Stream, o: StreamAdmissionOptions, share: ConnectionShare): void {
  const by = share.lastRefusal;
  o.budget.countRefusal(by);
  refuseStream(stream, refusalStatusOf(share));
}

/** UNAVAILABLE with RetryInfo: a reservation did not fit in the connection's share or in the budget. */
function refusalStatusOf(share: ConnectionShare): RpcStatus {
  const message =
    share.lastRefusal === 'connection'
      ? `too much gRPC request data in flight on this connection (max_inflight_bytes_per_connection_mib: ${share.limitBytes} bytes)`
      : `too much gRPC request data in flight (max_inflight_bytes_mib: ${share.budget.limitBytes} bytes)`;
  return { code: GrpcCode.UNAVAILABLE, message, retryDelayMs: RETRY_AFTER_MS.queueFull };
}
