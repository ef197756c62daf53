/**
 * node:fs for tests in which the thread pool's writing of a new key entry (durableFiles.ts,
 * `linkFileOnceAsync`: open a temporary file, write, close, link, unlink) must wait at a point the
 * test chooses, instead of a busy thread pool or a number of event-loop turns standing in for it:
 * - `holdNextTemporaryOpen()`: the next asynchronous open of a temporary file (`.tmp-*`) is not run
 *   until the test releases it; the write, close and link follow it, so whatever the test does
 *   meanwhile (a synchronous takeover, another process's shred) happens before them;
 * - `holdNextTemporaryLink()`: the same for the link of a temporary file (the file is written whole);
 * - `asyncLinksDone()`: the targets of the asynchronous links that succeeded, so a test can check
 *   that the race it set up did happen.
 * However slow the disk or busy the thread pool, the order is the test's. Install it in the test file:
 *
 *   vi.mock('node:fs', async (importOriginal) =>
 *     (await import('./testutil/heldFs.ts')).withHeldFs(await importOriginal<typeof fs>()));
 */
import type * as fs from 'node:fs';
import path from 'node:path';

/** An asynchronous open of a temporary file, held. */
export interface HeldOpen {
  /** The temporary file. */
  readonly file: string;
  /** Runs the open (for real): the writing goes on. */
  release(): void;
}

/** An asynchronous link of a temporary file, held. */
export interface HeldLink {
  readonly from: string;
  readonly to: string;
  /** Runs the link (for real) and reports its outcome. */
  release(): void;
  /** Reports `error` (null: linked) without running the link: the test did it (or not) itself. */
  complete(error: NodeJS.ErrnoException | null): void;
}

const TEMPORARY_PREFIX = '.tmp-';
/** Taken before a test can fake timers (a hold not reached must fail, not hang). */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

let waitingOpen: ((held: HeldOpen) => void) | undefined;
let waitingLink: ((held: HeldLink) => void) | undefined;
const linksDone: string[] = [];
/** The wait timers of the holds not reached yet (cleared by `resetHeldFs`). */
const waitTimers = new Set<ReturnType<typeof setTimeout>>();

/** The targets of the asynchronous links that succeeded, in order (since the last reset). */
export function asyncLinksDone(): readonly string[] {
  return linksDone;
}

/**
 * Holds the next asynchronous open of a temporary file; resolves with it once it has been called.
 * Rejects if none is called within `waitMsMax` (the writing did not start: the test set-up is wrong).
 */
export function holdNextTemporaryOpen(waitMsMax = 10_000): Promise<HeldOpen> {
  if (waitingOpen !== undefined) throw new Error('holdNextTemporaryOpen: a hold is already waiting');
  return waitFor<HeldOpen>('open', waitMsMax, {
    get: () => waitingOpen,
    set: (take) => (waitingOpen = take),
  });
}

/** `holdNextTemporaryOpen` for the next asynchronous link of a temporary file. */
export function holdNextTemporaryLink(waitMsMax = 10_000): Promise<HeldLink> {
  if (waitingLink !== undefined) throw new Error('holdNextTemporaryLink: a hold is already waiting');
  return waitFor<HeldLink>('link', waitMsMax, {
    get: () => waitingLink,
    set: (take) => (waitingLink = take),
  });
}

/** Drops the holds not reached and the links recorded (call it after each test). */
export function resetHeldFs(): void {
  waitingOpen = undefined;
  waitingLink = undefined;
  linksDone.length = 0;
  // A dropped hold's wait must not end in a later test (it would disarm that test's hold).
  for (const timer of waitTimers) realClearTimeout(timer);
  waitTimers.clear();
}

/** `real` with its callback `open` and `link` able to hold, and its links recorded. */
export function withHeldFs(real: typeof fs): typeof fs {
  const open = (...args: unknown[]): void => {
    const run = (): void => (real.open as (...a: unknown[]) => void)(...args);
    const file = args[0];
    const take = waitingOpen;
    if (take === undefined || !isTemporary(file)) {
      run();
      return;
    }
    waitingOpen = undefined;
    take({ file, release: once(run) });
  };
  const link = (from: fs.PathLike, to: fs.PathLike, callback: fs.NoParamCallback): void => {
    const run = (): void =>
      real.link(from, to, (error) => {
        if (error === null) linksDone.push(String(to));
        callback(error);
      });
    const take = waitingLink;
    if (take === undefined || !isTemporary(from)) {
      run();
      return;
    }
    waitingLink = undefined;
    const settle = once((error: NodeJS.ErrnoException | null) => {
      if (error === null) linksDone.push(String(to));
      callback(error);
    });
    take({ from, to: String(to), release: once(run), complete: settle });
  };
  return { ...real, open: open as typeof real.open, link: link as typeof real.link };
}

function isTemporary(file: unknown): file is string {
  return typeof file === 'string' && path.basename(file).startsWith(TEMPORARY_PREFIX);
}

/** `fn`, run at most once. */
function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let done = false;
  return (...args) => {
    if (done) return;
    done = true;
    fn(...args);
  };
}

/** Where a hold waits (`waitingOpen` or `waitingLink`). */
interface HoldSlot<T> {
  get(): ((held: T) => void) | undefined;
  set(take: ((held: T) => void) | undefined): void;
}

/**
 * Arms a hold in `slot`, disarmed if not reached within `waitMsMax` — only if it is still the one
 * armed there: a hold of a later test (after `resetHeldFs`) is never disarmed by this one's wait.
 */
function waitFor<T>(what: string, waitMsMax: number, slot: HoldSlot<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const take = (held: T): void => {
      realClearTimeout(timer);
      waitTimers.delete(timer);
      resolve(held);
    };
    const timer = realSetTimeout(() => {
      waitTimers.delete(timer);
      if (slot.get() === take) slot.set(undefined);
      reject(new Error(`no asynchronous ${what} of a temporary file within ${waitMsMax} ms`));
    }, waitMsMax);
    waitTimers.add(timer);
    slot.set(take);
  });
}
