/**
 * Review R1 of 8c36b55, on the REAL file system and libuv thread pool (NodeFileSystem): every other test of
 * the group commit's write on the thread pool runs on SimDisk, and the kill -9 test (test/wal-crash.test.ts)
 * did not reach it before dc13894 — its commits stay under NodeFileSystem.writeAsyncBytesMin (128 KiB: at most 8 single
 * appends + 2 batches of <= 24 payloads of <= ~2 KiB). Here: the 128 KiB edge (at it: thread pool; one byte
 * under: calling thread), and strict appends racing a real thread-pool write of the same segment, with every
 * record read back byte-exact after a reopen and nothing reported damaged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FRAME_OVERHEAD_BYTES } from './format.ts';
import { Wal } from './Wal.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'r1-wal-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const KIB = 1024;
/** Whether the writer has a group commit's write on the thread pool (a private field, read only to check the path). */
const writeInFlight = (wal: Wal): boolean =>
  (wal as unknown as { writer: { writing?: unknown } }).writer.writing !== undefined;

/** A payload reading `<tag>-<i>|` then a byte pattern derived from i, `bytes` long. */
function payload(tag: string, i: number, bytes: number): Buffer {
  const head = Buffer.from(`${tag}-${i}|`);
  const b = Buffer.alloc(bytes);
  for (let k = 0; k < bytes; k++) b[k] = (i * 31 + k * 7) & 0xff;
  head.copy(b);
  return b;
}

function open(): Wal {
  return Wal.open({ dir, segmentBytesMax: 8 * 1024 * KIB, preallocate: 'off', failureBackoffMs: 0 });
}

describe('the group commit written on the libuv thread pool (NodeFileSystem)', () => {
  it('a commit of exactly 128 KiB of frames goes to the thread pool, one byte less stays on the calling thread', async () => {
    const wal = open();
    expect(await wal.append(payload('first', 1, 100))).toBe(1);
    // 128 frames of 1 KiB = 131,072 bytes of frames.
    const at = wal.appendBatch(
      Array.from({ length: 128 }, (_, i) => payload('at', i, KIB - FRAME_OVERHEAD_BYTES)),
    );
    await Promise.resolve();
    expect(writeInFlight(wal)).toBe(true);
    expect(await at).toBe(2);
    const under = wal.appendBatch(
      Array.from({ length: 128 }, (_, i) =>
        payload('under', i, KIB - FRAME_OVERHEAD_BYTES - (i === 0 ? 1 : 0)),
      ),
    );
    await Promise.resolve();
    expect(writeInFlight(wal)).toBe(false);
    expect(await under).toBe(130);
    await wal.close();
  });

  it('strict appends racing thread-pool writes of the same segment: every record back, byte-exact, in order', async () => {
    const wal = open();
    const expected: Buffer[] = [];
    const add = (p: Buffer): Buffer => (expected.push(p), p);
    expect(await wal.append(add(payload('first', 0, 100)))).toBe(1);
    let raced = 0;
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 200 }, (_, i) =>
        add(payload(`g${round}`, i, 900 + ((i * 37) % 300))),
      );
      const pending = wal.appendBatch(batch);
      await Promise.resolve();
      if (writeInFlight(wal)) raced++;
      // While the write is on the thread pool: the strict append writes its bytes again, then its own frame.
      const seq = wal.appendSync(add(payload(`s${round}`, 0, 500)));
      const first = await pending;
      expect(seq).toBe(first + batch.length);
    }
    expect(raced).toBe(20);
    await wal.close();
    const again = open();
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails).toEqual([]);
    const got = [...again.read()];
    expect(got.length).toBe(expected.length);
    got.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      expect(Buffer.from(r.payload).equals(expected[i] as Buffer), `seq ${r.seq}`).toBe(true);
    });
    await again.close();
  });
});
