/**
 * After a shutdown that left components running (`SHUTDOWN_TIMEOUT`: the service stopped waiting for
 * them when their stage's share ended, Service.shutdownComponents) — or any other failed shutdown: a
 * component whose shutdown rejected may leave a timer behind as well (runServe.ts) — what they hold — a ref'd timer, a
 * request stuck on the libuv thread pool (an fsync to a hung disk) — can keep the process alive for
 * good: `otel-audit serve` printed its failure and set exit status 4, then never exited (measured with
 * a real child whose `batch` shutdown never ends holding an interval: still running 20 s after the
 * failure was printed). `exitWhenHeld` ends such a process: an UNREF'd timer, so a process that ends
 * on its own (nothing left holding it) is not held or cut short and keeps its own exit status; if the
 * timer fires, something else still holds the process: stdout and stderr are flushed and the process
 * exits with the status its caller set (`process.exitCode`, e.g. 4 from the CLI), else 4.
 *
 * `process.exit` itself waits for requests running on the libuv thread pool (libuv joins its threads
 * at exit): with an fs request that never ends (measured: an open of a FIFO no one writes to) the
 * exit never returned either. When a file system or DNS request is still pending
 * (`process.getActiveResourcesInfo()`; CPU-bound pool work — crypto, zlib — is not listed, and ends),
 * the process is ended with SIGKILL instead (status 137 in a shell): no exit handlers run, which
 * `serve` has none of after its shutdown.
 *
 * Nothing acknowledged is lost either way: a record is acknowledged only once it is durable in the
 * WAL. (The exporters also sealed and closed the WAL in their own share, unless one of them is what
 * hung: the next start recovers it.)
 */
import { EXIT } from '../cli/exitCodes.ts';

/** How long the caller has, after the shutdown's outcome, to report it and end on its own. */
export const EXIT_WHEN_HELD_GRACE_MS = 1_000;

/** How long the exit waits for stdout and stderr to drain (a reader that is stuck must not hold it). */
const FLUSH_WAIT_MS = 1_000;

export interface ExitWhenHeldOptions {
  readonly graceMs?: number;
  /** Says why the process is ended (before the exit). */
  readonly log: (message: string) => void;
  /** Tests replace them; `process.exit` and SIGKILL to the process otherwise. */
  readonly exit?: (code: number) => void;
  readonly kill?: () => void;
}

/** Resources `process.getActiveResourcesInfo()` names for requests on the libuv thread pool. */
const THREAD_POOL_REQUESTS: ReadonlySet<string> = new Set([
  'FSReqCallback',
  'FSReqPromise',
  'GetAddrInfoReqWrap',
  'GetNameInfoReqWrap',
]);

/** Whether a thread-pool request is pending (`process.exit` would wait for it). */
export function threadPoolRequestPending(resources: readonly string[]): boolean {
  return resources.some((r) => THREAD_POOL_REQUESTS.has(r));
}

/** Arms the unref'd timer (see the module comment); returns it (tests clear it). */
export function exitWhenHeld(o: ExitWhenHeldOptions): NodeJS.Timeout {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  const kill = o.kill ?? (() => process.kill(process.pid, 'SIGKILL'));
  const timer = setTimeout(() => {
    const set = process.exitCode;
    const code = typeof set === 'number' && set !== EXIT.OK ? set : EXIT.FAILURE;
    const stuck = threadPoolRequestPending(process.getActiveResourcesInfo());
    o.log(
      stuck
        ? 'ending the process with SIGKILL: components the shutdown left running still hold it, with a request on the thread pool that does not end (an fsync to a hung disk?), which process.exit would wait for (every acknowledged record is already durable in the WAL)'
        : `exiting with status ${code}: components the shutdown left running still hold the process (every acknowledged record is already durable in the WAL)`,
    );
    void flushed([process.stdout, process.stderr]).then(() => (stuck ? kill() : exit(code)));
  }, o.graceMs ?? EXIT_WHEN_HELD_GRACE_MS);
  timer.unref();
  return timer;
}

/** Resolves once each stream has written what was queued before, or after `FLUSH_WAIT_MS`. */
function flushed(streams: readonly NodeJS.WritableStream[]): Promise<void> {
  const drained = Promise.all(
    streams.map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))),
  ).then(() => undefined);
  return Promise.race([drained, new Promise<void>((resolve) => setTimeout(resolve, FLUSH_WAIT_MS))]);
}
