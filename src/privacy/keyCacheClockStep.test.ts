/**
 * The key store's cache TTL (KeyStore `cacheTtlMs`, internal/KeyCache.ts) is kept on the monotonic clock:
 * docs/privacy.md promises that a key shredded by another process (`otel-audit keys shred`, an erasure
 * request) stops being used within the TTL, and a step of the wall clock (NTP, a VM resumed) must not
 * stretch that. Before, the cache read `Date.now`: after a step back of an hour, the shredded subject's
 * cached key stayed in use for that hour on top of the TTL. Found by review RS. The wall clock is stepped
 * by replacing `Date.now` before the store opens; real time passes by sleeping.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStore } from './KeyStore.ts';
import { SecretKeyRing } from './SecretKey.ts';
import { randomSecretKey } from './testutil/keys.ts';

const HOUR_MS = 3_600_000;
const tmp = makeTempDir('otel-audit-key-cache-clock-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

/** A wall clock (`Date.now`) that can be stepped later, installed now (before the store keeps a reference). */
function steppableWallClock(): { step(ms: number): void } {
  const now = Date.now.bind(Date);
  let offsetMs = 0;
  vi.spyOn(Date, 'now').mockImplementation(() => now() + offsetMs);
  return { step: (ms) => void (offsetMs += ms) };
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the key cache TTL is a duration on the monotonic clock', () => {
  const master = randomSecretKey();
  const open = (directory: string, cacheTtlMs?: number): KeyStore =>
    KeyStore.open({
      directory,
      masterKeys: new SecretKeyRing([master], 'master'),
      create: true,
      ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }),
    });

  it('(control) without a clock step, a shred by another process is seen once the TTL has passed', async () => {
    const dir = path.join(tmp.dir, 'control');
    steppableWallClock(); // installed, never stepped
    const processor = open(dir, 50);
    const a = processor.keyForSubject('alice');
    open(dir).shred('alice');
    await sleep(150);
    expect(processor.keyForSubject('alice').id).not.toBe(a.id);
  });

  it('a step back of the wall clock does not keep a key shredded by another process in use past the TTL', async () => {
    const dir = path.join(tmp.dir, 'step-back');
    const wall = steppableWallClock();
    const processor = open(dir, 50);
    const a = processor.keyForSubject('alice');
    open(dir).shred('alice'); // e.g. `otel-audit keys shred`: an erasure request
    wall.step(-HOUR_MS); // NTP, a VM resumed
    await sleep(150); // three TTLs of real time
    // Before (Date.now): the shredded key was still served from the cache, for an hour more.
    expect(processor.keyForSubject('alice').id).not.toBe(a.id);
  });
});
