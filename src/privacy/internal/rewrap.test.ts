import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { KeyStore } from '../KeyStore.ts';
import { SecretKeyRing } from '../SecretKey.ts';
import { randomSecretKey } from '../testutil/keys.ts';
import type * as DurableFiles from './durableFiles.ts';

/** Names listed in a shard that are gone by the time rewrap gets to them (a writer removed its temporary file). */
const vanished = vi.hoisted(() => ({ name: undefined as string | undefined }));
vi.mock('./durableFiles.ts', async (importOriginal) => {
  const real = await importOriginal<typeof DurableFiles>();
  return {
    ...real,
    listDirectory: (dir: string) => {
      const names = real.listDirectory(dir);
      return vanished.name && /[0-9a-f]{2}$/.test(dir) ? [vanished.name, ...names] : names;
    },
  };
});

const tmp = makeTempDir('otel-audit-rewrap-');
afterAll(() => tmp.cleanup());

describe('rewrap', () => {
  it('a temporary file that is gone when rewrap removes it (its writer removed it) is not an error', () => {
    const old = randomSecretKey();
    const directory = path.join(tmp.dir, 'store');
    const store = KeyStore.open({ directory, masterKeys: new SecretKeyRing([old], 'master'), create: true });
    const key = store.keyForSubject('alice');
    const next = randomSecretKey();
    const rotated = KeyStore.open({
      directory,
      masterKeys: new SecretKeyRing([next, old], 'master'),
      create: false,
    });
    vanished.name = '.tmp-0123456789abcdef';
    try {
      expect(rotated.rewrap()).toBe(2);
    } finally {
      vanished.name = undefined;
    }
    const onlyNext = KeyStore.open({
      directory,
      masterKeys: new SecretKeyRing([next], 'master'),
      create: false,
    });
    expect(onlyNext.keyById(key.id)?.id).toBe(key.id);
  });
});
