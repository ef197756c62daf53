/**
 * RelinkedEntries on its own: which attempts report a failure to destroy a shredded key linked back.
 * The store is kept locked (a lock file, as a crashed shred leaves), so every destruction fails.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import type { KeyStoreIoError } from '../errors.ts';
import { RelinkedEntries } from './relinkedEntries.ts';
import { LOCK_FILE } from './storeLock.ts';

const tmp = makeTempDir('otel-audit-relinked-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.useRealTimers());

describe('RelinkedEntries', () => {
  it("a new entry's first attempt reports only that entry, not again each one left before it", () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const errors: KeyStoreIoError[] = [];
    const relinked = new RelinkedEntries(tmp.dir, (e) => errors.push(e));
    const lock = path.join(tmp.dir, LOCK_FILE);
    writeFileSync(lock, '');
    const a = path.join(tmp.dir, 'a.json');
    const b = path.join(tmp.dir, 'b.json');
    writeFileSync(a, Buffer.alloc(64)); // zero-filled: destroyed once the lock is gone
    writeFileSync(b, Buffer.alloc(64));
    relinked.destroy(a, 'key-a');
    expect(errors.map((e) => e.message.includes(a))).toEqual([true]);
    relinked.destroy(b, 'key-b');
    expect(errors).toHaveLength(2);
    expect(errors[1]?.message).toContain(b);
    expect(relinked.size).toBe(2);
    rmSync(lock);
    relinked.retry(); // both still retried (quietly) and destroyed now
    expect(relinked.size).toBe(0);
    expect(errors).toHaveLength(2);
    relinked.close();
  });
});
