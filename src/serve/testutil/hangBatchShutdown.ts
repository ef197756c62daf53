/**
 * Test-only preload (`node --import`) for `otel-audit serve` in a child process: the `batch`
 * processor's shutdown never ends and holds an active handle, as a component stuck on a hung disk
 * would. `OTEL_AUDIT_TEST_HANG` picks the handle: `interval` (a ref'd timer, the default) or `fifo:PATH`
 * (an open of a FIFO no one writes to: a libuv thread-pool request that never completes, like a hung
 * fsync), or `reject` (the shutdown FAILS at once, leaving a ref'd timer behind: not a timeout). Prints `test: batch shutdown hangs` on stderr when the shutdown is called.
 */
import { open } from 'node:fs/promises';
import { BatchProcessor } from '../../../processors/batch/BatchProcessor.ts';

const how = process.env.OTEL_AUDIT_TEST_HANG ?? 'interval';

Object.defineProperty(BatchProcessor.prototype, 'shutdown', {
  configurable: true,
  value(): Promise<void> {
    process.stderr.write('test: batch shutdown hangs\n');
    if (how === 'reject') {
      setInterval(() => undefined, 1_000);
      return Promise.reject(new Error('test: batch shutdown failed, its timer left running'));
    }
    if (how.startsWith('fifo:')) return open(how.slice('fifo:'.length), 'r').then(() => undefined);
    return new Promise<void>(() => {
      setInterval(() => undefined, 1_000);
    });
  },
});
