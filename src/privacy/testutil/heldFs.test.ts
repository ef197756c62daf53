/**
 * The test helper heldFs.ts itself: a hold one test armed and dropped (resetHeldFs) must not reach
 * into the next test of the same file.
 */
import * as realFs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { holdNextTemporaryOpen, resetHeldFs, withHeldFs, type HeldOpen } from './heldFs.ts';

const tmp = makeTempDir('otel-audit-held-fs-');
afterAll(() => tmp.cleanup());
afterEach(() => resetHeldFs());

describe('heldFs', () => {
  it("a hold dropped by resetHeldFs does not disarm a later test's hold when its own wait ends", async () => {
    const fs = withHeldFs(realFs);
    // A test that armed a hold and ended (failed) before it was reached.
    const dropped = holdNextTemporaryOpen(20);
    dropped.catch(() => undefined);
    resetHeldFs();
    // The next test arms its own hold; the dropped one's 20 ms pass before its open comes.
    const next = holdNextTemporaryOpen(5_000);
    next.catch(() => undefined);
    await delay(60);
    const opened = new Promise<number>((resolve, reject) =>
      fs.open(path.join(tmp.dir, '.tmp-next'), 'wx', (error, fd) => (error ? reject(error) : resolve(fd))),
    );
    // On the old helper the dropped hold's wait disarmed this one: the open ran, nothing was held.
    const held = await Promise.race([next, delay(2_000).then(() => 'not held' as const)]);
    expect(held).not.toBe('not held');
    (held as HeldOpen).release();
    realFs.closeSync(await opened);
  });
});
