/**
 * `otel-audit serve` when a component's shutdown never ends and holds an active handle, with a real
 * child process (the `batch` processor patched by testutil/hangBatchShutdown.ts): the service stops
 * waiting for it at its stage's share, the exporters still seal and close the WAL, the shutdown fails
 * (`SHUTDOWN_TIMEOUT` naming `processors::batch`), and the process exits with status 4 about a second
 * later (exitWhenHeld.ts). Before, it printed the failure and never exited: the component's ref'd timer
 * (or its request stuck on the libuv thread pool) kept it alive (still running after 20 s).
 */
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walRecords } from '../../test/helpers/startService.ts';
import { unsealedSegments } from '../wal/testutil/sealedSegments.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { logsUrl, post, serveChild } from './testutil/serveChild.ts';

const tmp = makeTempDir('otel-audit-serve-hung-');
afterAll(() => tmp.cleanup());
const HANG = path.resolve(import.meta.dirname, 'testutil/hangBatchShutdown.ts');

async function hungShutdown(
  name: string,
  hang: string,
  expected: { readonly status: number | string; readonly says: RegExp; readonly failure?: RegExp },
): Promise<void> {
  const walDir = path.join(tmp.dir, name, 'wal');
  mkdirSync(path.dirname(walDir));
  const s = serveChild(walDir, {
    processors: ['batch'],
    preload: [HANG],
    env: { OTEL_AUDIT_TEST_HANG: hang },
    args: ['--shutdown-timeout', '2s'],
  });
  await s.waitFor('otel-audit: ready');
  const sent = Array.from({ length: 10 }, (_, i) => `r${i}`);
  const acked = await Promise.all(sent.map((b) => post(logsUrl(s), b)));
  expect(acked.every(Boolean)).toBe(true);
  const signalledAt = Date.now();
  s.child.kill('SIGTERM');
  const status = await s.exited;
  const tookMs = Date.now() - signalledAt;
  expect(status, s.output()).toBe(expected.status);
  // 2 s deadline (the exporters' 1 s minimum may run past it) + the 1 s grace + start-up slack on a
  // loaded machine; without the fix it never exits (killed by serveChild after 20 s).
  expect(tookMs).toBeLessThan(12_000);
  const out = s.output();
  expect(out).toContain('test: batch shutdown hangs');
  expect(out).toMatch(expected.failure ?? /shutdown did not complete cleanly: .*processors::batch/);
  expect(out).toMatch(expected.says);
  // Every acknowledged record is in the WAL, which the exporters sealed after the processors' share.
  expect(walRecords(walDir).map((r) => r.body)).toEqual(sent);
  expect(unsealedSegments(walDir)).toEqual([]);
}

describe('serve: a component whose shutdown hangs holding the process', () => {
  it("a never-ending shutdown with a ref'd interval: exit 4 soon after the failure, acknowledged records durable", async () => {
    await hungShutdown('interval', 'interval', {
      status: 4,
      says: /exiting with status 4: components the shutdown left running still hold the process/,
    });
  }, 30_000);

  it('a never-ending open on the thread pool (a FIFO no one writes to), which process.exit waits for: SIGKILL', async () => {
    const fifo = path.join(tmp.dir, 'stuck.fifo');
    execFileSync('mkfifo', [fifo]);
    await hungShutdown('fifo', `fifo:${fifo}`, {
      status: 'killed by SIGKILL',
      says: /ending the process with SIGKILL: .*a request on the thread pool that does not end/,
    });
  }, 30_000);

  it("a shutdown that FAILS (not a timeout) leaving a ref'd timer: exit 4 too, not held for good", async () => {
    // Before, only SHUTDOWN_TIMEOUT armed exitWhenHeld: a component whose shutdown rejected but left a
    // timer running kept `serve` alive after it printed the failure (killed by serveChild after 20 s).
    await hungShutdown('reject', 'reject', {
      status: 4,
      failure: /shutdown did not complete cleanly: .*test: batch shutdown failed/,
      says: /exiting with status 4: components the shutdown left running still hold the process/,
    });
  }, 30_000);

  it("a failed START whose clean-up leaves a ref'd timer (port in use): exits, not held for good", async () => {
    // Before, exitWhenHeld was armed only after stop(): `serve` printed LIFECYCLE (port in use) and the
    // timer the batch processor's failed shutdown left behind kept it running (killed after 20 s).
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const walDir = path.join(tmp.dir, 'start', 'wal');
      mkdirSync(path.dirname(walDir));
      const s = serveChild(walDir, {
        processors: ['batch'],
        preload: [HANG],
        env: { OTEL_AUDIT_TEST_HANG: 'reject' },
        endpoint: `127.0.0.1:${port}`,
      });
      const status = await s.exited;
      expect(s.output()).toMatch(/LIFECYCLE: .*cannot listen/);
      expect(s.output()).toContain('test: batch shutdown hangs');
      expect(status, s.output()).toBe(4);
    } finally {
      busy.close();
    }
  }, 30_000);
});
