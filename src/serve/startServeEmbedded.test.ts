/**
 * `startServe` embedded in a program: a failed start does not end the program's process
 * (`exitWhenHeld` defaults to false; `otel-audit serve` sets it, serveHungShutdown.test.ts).
 * Before, the library armed exitWhenHeld by default and called `process.exit` a second after
 * a failed start in whatever process embedded it.
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { basicConfig } from '../../test/helpers/startService.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { EXIT_WHEN_HELD_GRACE_MS } from './exitWhenHeld.ts';
import { startServe } from './runServe.ts';

const tmp = makeTempDir('otel-audit-serve-embedded-');
const busy = net.createServer();
afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  tmp.cleanup();
});
afterEach(() => vi.restoreAllMocks());

/** startServe on an HTTP port already in use: the start fails (LIFECYCLE). */
async function failedStart(name: string, exitWhenHeld: boolean | undefined): Promise<void> {
  if (!busy.listening) await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as net.AddressInfo).port;
  const walDir = path.join(tmp.dir, name);
  const yaml = basicConfig(walDir).replace(
    'http: { endpoint: 127.0.0.1:0 }',
    `http: { endpoint: 127.0.0.1:${port} }`,
  );
  const start = startServe({
    sources: [{ kind: 'yaml', text: yaml, name }],
    env: {},
    cwd: tmp.dir,
    out: () => undefined,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ...(exitWhenHeld === undefined ? {} : { exitWhenHeld }),
  });
  await expect(start).rejects.toMatchObject({ message: expect.stringMatching(/listen|in use/i) });
}

/** Watches for the process being ended (`process.exit`, or SIGKILL to itself), stubbed out. */
function watchEnds(): () => number {
  const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as typeof process.exit);
  const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
  return () => exit.mock.calls.length + kill.mock.calls.filter(([pid]) => pid === process.pid).length;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('startServe embedded in a program', () => {
  it('does not end the process after a failed start by default', async () => {
    const ends = watchEnds();
    await failedStart('default', undefined);
    await sleep(EXIT_WHEN_HELD_GRACE_MS + 3_000); // the grace, the flush of stdout and stderr after it (≤ 1 s), a margin
    expect(ends()).toBe(0);
  });

  it('(control) with exitWhenHeld: true, as `otel-audit serve` sets it, a failed start ends the process', async () => {
    const ends = watchEnds();
    await failedStart('armed', true);
    for (let waitedMs = 0; ends() === 0 && waitedMs < 10_000; waitedMs += 50) await sleep(50);
    expect(ends()).toBe(1);
  });
});
