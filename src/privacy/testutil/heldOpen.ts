/**
 * node:fs for tests in which the thread pool's writing of a new key entry (durableFiles.ts,
 * `linkFileOnceAsync`: open a temporary file, write, close, link, unlink) must wait at a point the
 * test chooses: after `holdNextTemporaryOpen()`, the next asynchronous open of a temporary file
 * (`.tmp-*`) is not run until the test releases it. Its write, close and link follow it, so whatever
 * the test does meanwhile (a synchronous takeover, another process's shred) happens before them,
 * however fast or slow the disk and however busy the thread pool. The targets of the asynchronous
 * links that succeeded are recorded (`asyncLinksDone`): a test can check the race it set up did
 * happen. Install it in the test file:
 *
 *   vi.mock('node:fs', async (importOriginal) =>
 *     (await import('./testutil/heldOpen.ts')).withHeldOpen(await importOriginal<typeof fs>()));
 */
import type * as fs from 'node:fs';
import path from 'node:path';

/** An open of a temporary file, held. */
export interface HeldOpen {
  /** The temporary file. */
  readonly file: string;
  /** Runs the open (for real): the writing goes on. */
  release(): void;
}

const TEMPORARY_PREFIX = '.tmp-';
/** Taken before a test can fake timers (a hold not reached must fail, not hang). */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

let waiting: ((held: HeldOpen) => void) | undefined;
const linksDone: string[] = [];

/** The targets of the asynchronous links that succeeded, in order (since the last reset). */
export function asyncLinksDone(): readonly string[] {
  return linksDone;
}

/**
 * Holds the next asynchronous open of a temporary file; resolves with it once it has been called.
 * Rejects if none is called within `waitMsMax` (the writing did not start: the test set-up is wrong).
 */
export function holdNextTemporaryOpen(waitMsMax = 10_000): Promise<HeldOpen> {
  if (waiting !== undefined) throw new Error('holdNextTemporaryOpen: a hold is already waiting');
  return new Promise<HeldOpen>((resolve, reject) => {
    const timer = realSetTimeout(() => {
      waiting = undefined;
      reject(new Error(`no asynchronous open of a temporary file within ${waitMsMax} ms`));
    }, waitMsMax);
    waiting = (held) => {
      realClearTimeout(timer);
      resolve(held);
    };
  });
}

/** Drops a hold not reached and the links recorded (call it after each test). */
export function resetHeldOpen(): void {
  waiting = undefined;
  linksDone.length = 0;
}

/** `real` with its callback `open` able to hold (`holdNextTemporaryOpen`) and its `link` recorded. */
export function withHeldOpen(real: typeof fs): typeof fs {
  const open = (...args: unknown[]): void => {
    const run = (): void => (real.open as (...a: unknown[]) => void)(...args);
    const file = args[0];
    const take = waiting;
    if (take === undefined || typeof file !== 'string' || !path.basename(file).startsWith(TEMPORARY_PREFIX)) {
      run();
      return;
    }
    waiting = undefined;
    let released = false;
    take({
      file,
      release: () => {
        if (released) return;
        released = true;
        run();
      },
    });
  };
  const link = (from: fs.PathLike, to: fs.PathLike, callback: fs.NoParamCallback): void =>
    real.link(from, to, (error) => {
      if (error === null) linksDone.push(String(to));
      callback(error);
    });
  return { ...real, open: open as typeof real.open, link: link as typeof real.link };
}
