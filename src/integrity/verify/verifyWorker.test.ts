/**
 * The verify worker threads load no native addon. A worker thread that exits
 * or is terminated with a native (N-API) addon loaded is a known cause of
 * segfaults (napi-rs/package-template#308, nodejs/node#43534), and
 * verifyWalParallel starts and ends workers on every run and replaces the
 * ones that die; a CI run was once lost to a SIGSEGV of the vitest process
 * running verifyWalParallel.test.ts. The addon they used to load was
 * @node-rs/crc32, through src/wal/format.ts, although they compute no CRC.
 *
 * Checked in a child process that loads nothing else of the project: the
 * addons loaded while the worker is alive (process.report's sharedObjects).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WorkerAddons } from './testutil/workerAddons.ts';

const SCRIPT = fileURLToPath(new URL('./testutil/workerAddons.ts', import.meta.url));

function workerAddons(mode: 'verify' | 'control'): WorkerAddons {
  const out = execFileSync(process.execPath, [SCRIPT, mode], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as WorkerAddons;
}

describe('verify worker threads', () => {
  it('load no native addon', () => {
    const seen = workerAddons('verify');
    expect(seen.answer).toBe('1'); // it decoded and answered the batch (one unchained record)
    expect(seen.before).toEqual([]);
    expect(seen.during).toEqual([]);
  });

  it('(control) the check sees an addon a worker loads', () => {
    const seen = workerAddons('control');
    expect(seen.answer).toBe(String(0xe3069283)); // CRC-32C of "123456789"
    expect(seen.before).toEqual([]);
    expect(seen.during).toEqual([expect.stringMatching(/crc32.*\.node$/)]);
  });
});
