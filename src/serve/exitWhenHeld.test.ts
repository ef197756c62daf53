import { afterEach, describe, expect, it } from 'vitest';
import { exitWhenHeld, threadPoolRequestPending } from './exitWhenHeld.ts';

const savedExitCode = process.exitCode;
afterEach(() => {
  process.exitCode = savedExitCode;
});

function armed(graceMs: number): Promise<{ exited: number | undefined; killed: boolean; log: string[] }> {
  return new Promise((resolve) => {
    const log: string[] = [];
    const timer = exitWhenHeld({
      graceMs,
      log: (m) => log.push(m),
      exit: (code) => resolve({ exited: code, killed: false, log }),
      kill: () => resolve({ exited: undefined, killed: true, log }),
    });
    // Unref'd: a process that would end without it is not held by it.
    expect(timer.hasRef()).toBe(false);
  });
}

describe('exitWhenHeld', () => {
  it("exits with the caller's status (process.exitCode), else 4, once the grace is over", async () => {
    process.exitCode = 3;
    expect((await armed(5)).exited).toBe(3);
    process.exitCode = 0; // a shutdown that left components running is not a success
    const r = await armed(5);
    expect(r.exited).toBe(4);
    expect(r.log).toEqual([
      expect.stringMatching(/^exiting with status 4: components the shutdown left running/),
    ]);
  });

  it('a pending file system or DNS request (process.exit would wait for it): SIGKILL instead', () => {
    expect(threadPoolRequestPending(['Timeout', 'TCPServerWrap', 'FSReqCallback'])).toBe(true);
    expect(threadPoolRequestPending(['FSReqPromise'])).toBe(true);
    expect(threadPoolRequestPending(['GetAddrInfoReqWrap'])).toBe(true);
    expect(threadPoolRequestPending(['Timeout', 'TTYWrap', 'PipeWrap', 'SignalWrap'])).toBe(false);
  });
});
