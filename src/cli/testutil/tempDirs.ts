/** Temporary directories for a CLI test file, each removed after the test that made it. */
import { afterEach } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';

/** Registers the cleanup (call at module level) and returns the test file's `tempDir()`. */
export function tempDirsRemovedAfterEach(prefix: string): () => string {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  return () => {
    const t = makeTempDir(prefix);
    cleanups.push(t.cleanup);
    return t.dir;
  };
}
