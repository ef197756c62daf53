/**
 * Writing lines to stdout without unbounded buffering and without dying
 * when the reader goes away.
 *
 * - Lines are gathered into chunks of about `chunkBytes` (one write call per
 *   chunk, not per line); at most one chunk plus one line is held.
 * - Backpressure: when `write()` returns false the sink waits for `drain`.
 *   After each chunk it also yields to the event loop, so an `error` from a
 *   synchronous pipe (stdout to a pipe is synchronous on Linux) is seen.
 * - A reader that closed early (`| head -1`: EPIPE, or the stream destroyed)
 *   is not an error: `closed` becomes true and everything after is dropped.
 *   Any other write error is kept and thrown by the next `write()`/`flush()`.
 */
import type { Writable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

const CHUNK_BYTES_DEFAULT = 64 * 1024;

export class OutputSink {
  private readonly stream: Writable;
  private readonly chunkBytes: number;
  private pending: string[] = [];
  private pendingLength = 0;
  private readerGone = false;
  private failure: Error | undefined;

  constructor(stream: Writable, options: { readonly chunkBytes?: number } = {}) {
    this.stream = stream;
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES_DEFAULT;
    // Kept attached: a late EPIPE after the command returned must not crash the process either.
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') this.readerGone = true;
      else this.failure ??= error;
    });
  }

  /** True once the reader has gone away; the caller should stop producing output. */
  get closed(): boolean {
    return this.readerGone || this.stream.destroyed || this.stream.writableEnded;
  }

  /** Adds `line` and a newline; writes when a chunk is full. */
  async writeLine(line: string): Promise<void> {
    this.pending.push(line, '\n');
    this.pendingLength += line.length + 1;
    if (this.pendingLength >= this.chunkBytes) await this.flush();
  }

  /** Writes what is pending and waits until the stream has taken it. */
  async flush(): Promise<void> {
    this.throwFailure();
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    if (chunk === '' || this.closed) return;
    if (!this.stream.write(chunk)) await this.drained();
    else await yieldToEventLoop();
    this.throwFailure();
  }

  private drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
      this.stream.on('error', done);
    });
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
