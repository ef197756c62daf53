/**
 * verify's `--published` directory is input from elsewhere: a file larger
 * than a checkpoint can be, a FIFO, a directory named `*.json` must be
 * reported (`published-unreadable`, naming the file and why) without reading
 * it, while the good checkpoints there are still used. The large files are
 * sparse: nothing of their size is allocated, on disk or in memory.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import { CHECKPOINT_PAYLOAD_BYTES_MAX } from '../chain/checkpoint.ts';
import { readPublishedFile } from './internal/readPublishedFile.ts';
import { writeUnsignedStream } from './testutil/unsignedStream.ts';
import { verifyWal } from './verifyWal.ts';
import { verifyWalParallel } from './verifyWalParallel.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-published-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const wal = path.join(root, 'wal');
const published = path.join(root, 'published');

/** A sparse file of `bytes` bytes. */
function sparse(file: string, bytes: number): void {
  fs.closeSync(fs.openSync(file, 'w'));
  fs.truncateSync(file, bytes);
}

beforeAll(async () => {
  await writeUnsignedStream(wal, 's', 3);
  fs.mkdirSync(published);
  const [checkpoint] = [...openWalReadOnly({ dir: wal }).reader.records({ types: [FrameType.CHECKPOINT] })];
  fs.writeFileSync(path.join(published, 'a-good.json'), checkpoint?.payload ?? '');
});

describe('published checkpoint files verify does not read', () => {
  it('a file one byte over the 1 MiB a checkpoint can be: published-unreadable, not undecodable', () => {
    const dir = path.join(root, 'over');
    fs.cpSync(published, dir, { recursive: true });
    sparse(path.join(dir, 'b-big.json'), CHECKPOINT_PAYLOAD_BYTES_MAX + 1);
    const report = verifyWal({ dir: wal, publishedDir: dir });
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([
      {
        kind: 'published-unreadable',
        seq: undefined,
        chainNumber: undefined,
        streamId: undefined,
        message: `published checkpoint b-big.json is ${CHECKPOINT_PAYLOAD_BYTES_MAX + 1} bytes, more than a checkpoint can be (${CHECKPOINT_PAYLOAD_BYTES_MAX}): not read`,
      },
    ]);
    // The good one is still used: its stream is checked against it.
    expect(report.streams.map((s) => [s.streamId, s.records, s.checkpoints])).toEqual([['s', 3, 1]]);
  });

  it('a 64 GiB file, a directory and a FIFO named *.json: reported, none read, nothing hangs', async () => {
    const dir = path.join(root, 'hostile');
    fs.cpSync(published, dir, { recursive: true });
    sparse(path.join(dir, 'c-huge.json'), 64 * 1024 ** 3);
    fs.mkdirSync(path.join(dir, 'd-dir.json'));
    execFileSync('mkfifo', [path.join(dir, 'e-fifo.json')]);
    const expected = [
      `published checkpoint c-huge.json is ${64 * 1024 ** 3} bytes, more than a checkpoint can be (${CHECKPOINT_PAYLOAD_BYTES_MAX}): not read`,
      'published checkpoint d-dir.json is not a regular file',
      'published checkpoint e-fifo.json is not a regular file',
    ];
    const report = verifyWal({ dir: wal, publishedDir: dir });
    expect(report.issues.map((i) => [i.kind, i.message])).toEqual(
      expected.map((m) => ['published-unreadable', m]),
    );
    expect(await verifyWalParallel({ dir: wal, publishedDir: dir, workers: 1 })).toEqual(report);
  });

  it('without them the same directory verifies', () => {
    expect(verifyWal({ dir: wal, publishedDir: published }).ok).toBe(true);
  });
});

describe('readPublishedFile', () => {
  it('reads a file up to the bound, refuses one beyond it, and says why a file cannot be opened', () => {
    const file = path.join(root, 'small.json');
    fs.writeFileSync(file, '0123456789');
    expect(readPublishedFile(file, 10)).toEqual({ ok: true, bytes: Buffer.from('0123456789') });
    expect(readPublishedFile(file, 9)).toEqual({
      ok: false,
      problem: 'is 10 bytes, more than a checkpoint can be (9): not read',
    });
    expect(readPublishedFile(path.join(root, 'absent.json'))).toEqual({
      ok: false,
      problem: 'cannot be opened (ENOENT)',
    });
  });
});
