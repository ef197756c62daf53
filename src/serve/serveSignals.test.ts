/**
 * `otel-audit serve` signals, with a real child process: a second SIGTERM during a shutdown exits at
 * once with 130 and every acknowledged record is in the WAL; a SIGTERM during start-up lets the start
 * finish, then shuts down cleanly (exit 0); a shutdown with a request waiting for a long commit delay
 * commits it at once and exits 0.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walRecords } from '../../test/helpers/startService.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { logsUrl, post, serveChild, type ServeChild } from './testutil/serveChild.ts';

const tmp = makeTempDir('otel-audit-serve-signals-');
afterAll(() => tmp.cleanup());

function serve(walDir: string, walOptions: string, args: readonly string[] = []): ServeChild {
  return serveChild(walDir, { walOptions, args });
}

describe('serve: signals', () => {
  it('a second SIGTERM during the shutdown exits 130 at once; every acknowledged record is durable', async () => {
    const walDir = path.join(tmp.dir, 'twice');
    // A commit waits 2 s: the shutdown (which waits for the requests in flight) is still running at the
    // second signal, even on a loaded machine.
    const s = serve(walDir, ', commit_delay_ms: 2000');
    await s.waitFor('otel-audit: ready');
    const url = logsUrl(s);
    const sent = Array.from({ length: 40 }, (_, i) => `r${i}`);
    const first = await Promise.all(sent.slice(0, 20).map((b) => post(url, b)));
    expect(first.every(Boolean)).toBe(true);
    const late = sent.slice(20).map((b) => post(url, b)); // in flight when the signals arrive
    await new Promise((r) => setTimeout(r, 50));
    s.child.kill('SIGTERM');
    await s.waitFor('shutting down');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(130);
    expect(s.output()).toMatch(/second SIGTERM: exiting now/);
    const acked = sent.slice(0, 20);
    const lateAcked = (await Promise.all(late)).flatMap((ok, i) => (ok ? [sent[20 + i]] : []));
    const stored = new Set(walRecords(walDir).map((r) => r.body));
    for (const b of [...acked, ...lateAcked])
      expect(stored.has(b), `${b} acknowledged, not in the WAL`).toBe(true);
  }, 30_000);

  it('a SIGTERM while a request waits for a 10 s commit delay: the WAL commits at once, a clean exit 0', async () => {
    // Closing the WAL used to wait out commit_delay_ms: past the 2 s deadline (exit 4, ~11 s). That only
    // shows when the request is queued in the WAL at the signal; under load it may not be yet (the POST
    // still on its way: refused, nothing to commit, exit 0 on the old code too), so such a run does not
    // count and is tried again. The receivers' 1.2 s share ends before the delay: the request is cut
    // off unanswered, but its record, queued, is committed by the close.
    let counted = 0;
    for (let attempt = 0; attempt < 3 && counted === 0; attempt++) {
      const walDir = path.join(tmp.dir, `delayed-${attempt}`);
      const s = serve(walDir, ', commit_delay_ms: 10000', ['--shutdown-timeout', '2s']);
      await s.waitFor('otel-audit: ready');
      const url = logsUrl(s);
      const inFlight = post(url, 'held');
      await new Promise((r) => setTimeout(r, 100));
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(s.output()).toMatch(/otel-audit: stopped/);
      const stored = walRecords(walDir).map((r) => r.body);
      if (await inFlight) expect(stored).toEqual(['held']);
      if (stored.length > 0) {
        expect(stored).toEqual(['held']);
        counted++;
      }
    }
    expect(counted, 'the request reached the WAL before the signal in none of 3 runs').toBe(1);
  }, 60_000);

  it('a SIGTERM sent before "ready" (as the receiver starts listening): a clean shutdown (exit 0)', async () => {
    const walDir = path.join(tmp.dir, 'starting');
    const s = serve(walDir, '');
    // Logged by the receiver once listening, before the service has finished starting ("ready").
    await s.waitFor('listening');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/otel-audit: stopped/);
    expect(walRecords(walDir)).toEqual([]);
  }, 30_000);
});
