/**
 * readTextBounded from a pipe fed in short writes keeps about the bytes it read: it kept a whole 64 KiB read
 * buffer per short read until the end (300 one-byte writes: 19.7 MB; `--config /dev/stdin` allows 12 MiB of
 * input, so a slow writer could make that many GB). Found by review (2026-11-27).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readTextBounded } from './internal/readBounded.ts';

describe('readTextBounded from a pipe fed in small writes', () => {
  it('keeps about the bytes it read, not a 64 KiB buffer per short read', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-cfg-pipe-'));
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // A writer sending 1 byte per write (a slow generator; `--config /dev/stdin` from a script).
    const writer = spawn('sh', [
      '-c',
      'i=0; while [ $i -lt 300 ]; do printf x; sleep 0.001; i=$((i+1)); done > "$1"',
      'sh',
      fifo,
    ]);
    const spy = vi.spyOn(Buffer, 'allocUnsafe');
    try {
      const text = readTextBounded(fifo, 1024 * 1024, false);
      const allocated = spy.mock.calls.reduce((sum, [n]) => sum + Number(n), 0);
      expect(text.length).toBe(300);
      // Every chunk is kept (subarray) until Buffer.concat: ~300 × 64 KiB held for 300 bytes.
      expect(allocated).toBeLessThan(64 * 1024 * 8);
    } finally {
      spy.mockRestore();
      writer.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
