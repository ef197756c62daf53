/**
 * verify checks each frame's CRC once (sealed segments against their footers
 * while reading, `openWalReadOnly({ verify: 'once' })`), and when a sealed
 * segment does not match its footer it starts over with a `full` open: the
 * report is the one a `full` open gives, in one thread or with workers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as crc from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flipPayloadBit, readFrames, writeFrames } from '../../../test/helpers/walTamper.ts';
import { WalSealedMismatchError } from '../../wal/readOnly.ts';
import { editFooter } from '../../wal/testutil/editFooter.ts';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { writeUnsignedStream } from './testutil/unsignedStream.ts';
import { verifyWal, verifyWalOpenedAs, type VerifyOptions } from './verifyWal.ts';
import { verifyWalParallel } from './verifyWalParallel.ts';

/** Bytes the main thread computed CRC32C over (the workers load no addon). */
const crcBytes = vi.hoisted(() => ({ total: 0 }));
vi.mock('@node-rs/crc32', async (importOriginal) => {
  const real = await importOriginal<typeof crc>();
  return {
    ...real,
    crc32c: (input: Uint8Array, initial?: number) => {
      crcBytes.total += input.length;
      return real.crc32c(input as Buffer, initial);
    },
  };
});

const tmp = makeTempDir('otel-audit-verify-once-');
afterAll(() => tmp.cleanup());
let original = '';
let segments: string[] = [];
let copies = 0;

/** One chain of 150 records and its checkpoint, rewritten into sealed 16 KiB segments. */
beforeAll(async () => {
  const written = path.join(tmp.dir, 'written');
  await writeUnsignedStream(written, 'once', 150);
  original = path.join(tmp.dir, 'original');
  await writeFrames(original, readFrames(written), { segmentBytesMax: 16 * 1024 });
  segments = fs.readdirSync(original).filter((n) => n.endsWith('.wal'));
});

function copy(): string {
  const dir = path.join(tmp.dir, `copy-${copies++}`);
  fs.cpSync(original, dir, { recursive: true });
  return dir;
}

/** verifyWal and verifyWalParallel (batches in flight when the mismatch is met) give the `full` open's report. */
async function expectFullReport(o: VerifyOptions): Promise<void> {
  const full = verifyWalOpenedAs(o, 'full');
  expect(verifyWal(o)).toEqual(full);
  expect(await verifyWalParallel({ ...o, workers: 2, batchRecords: 3 })).toEqual(full);
}

describe('verify on an intact WAL of sealed segments', () => {
  it('computes each frame’s CRC once (a full open: twice) and reports what a full open reports', () => {
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const walBytes = segments.reduce((n, s) => n + fs.statSync(path.join(original, s)).size, 0);
    crcBytes.total = 0;
    const once = verifyWalOpenedAs({ dir: original }, 'once');
    const onceCrcBytes = crcBytes.total;
    crcBytes.total = 0;
    const full = verifyWalOpenedAs({ dir: original }, 'full');
    expect(once).toEqual(full);
    expect(once).toMatchObject({ ok: true, records: 150 });
    // Every byte of the segments once at most (headers, frames, footers); a full open: every frame twice.
    expect(onceCrcBytes).toBeLessThanOrEqual(walBytes);
    expect(crcBytes.total).toBeGreaterThan(1.9 * walBytes);
    expect(verifyWal({ dir: original })).toEqual(full);
  });
});

describe('verify on a sealed segment that does not match its footer starts over with a full open', () => {
  it('bit rot in a sealed segment: the same report as a full open, and the same first bad seq', async () => {
    const dir = copy();
    flipPayloadBit(dir, 70, 10);
    expect(() => verifyWalOpenedAs({ dir }, 'once')).toThrow(WalSealedMismatchError);
    const report = verifyWal({ dir });
    expect(report.firstIssue).toMatchObject({ kind: 'bit-rot', seq: 70 });
    await expectFullReport({ dir });
  });

  it('a footer that counts one record fewer than its (older) segment holds: every record checked, the footer reported', async () => {
    const dir = copy();
    editFooter(path.join(dir, segments[1] as string), (f) => ({
      ...f,
      lastSeq: f.lastSeq - 1,
      recordCount: f.recordCount - 1,
    }));
    // Its last number leaves a gap before the next segment: the open walks it (no restart needed).
    const report = verifyWalOpenedAs({ dir }, 'once');
    expect(report).toMatchObject({ ok: false, records: 150, issues: [{ kind: 'bit-rot', seq: undefined }] });
    expect(report.firstIssue?.message).toMatch(
      new RegExp(
        `^${segments[1]}: bad footer at offset \\d+ \\(the footer says last WAL seq .*no records lost$`,
      ),
    );
    await expectFullReport({ dir });
  });
});
