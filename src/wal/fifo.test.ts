/**
 * A FIFO in the WAL directory under a WAL file's name (the high-water mark, a segment) — a mistake or a
 * hostile directory — must not hang the process: opens and reads are non-blocking (NodeFileSystem), so it
 * reads as a damaged file and the WAL says so.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentFileName } from './format.ts';
import { HIGH_WATER_MARK_FILE, readHighWaterMark } from './HighWaterMark.ts';
import { NodeFileSystem } from './fs/NodeFileSystem.ts';
import { LOCK_FILE } from './lock.ts';
import { openWalReadOnly } from './readOnly.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import { Wal } from './Wal.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function walWithRecords(): Promise<string> {
  const { dir, cleanup } = makeTempDir('otel-audit-fifo-');
  cleanups.push(cleanup);
  const wal = Wal.open({ dir, preallocate: 'off' });
  for (let i = 0; i < 5; i++) await wal.append(Buffer.from(`record ${i}`));
  await wal.close();
  return dir;
}

describe('a FIFO under a WAL file name', () => {
  it('as the high-water mark: reading it fails at once (no hang), a writer refuses, a reader reports it', async () => {
    const dir = await walWithRecords();
    const mark = path.join(dir, HIGH_WATER_MARK_FILE);
    fs.rmSync(mark);
    execFileSync('mkfifo', [mark]);
    expect(() => readHighWaterMark(new NodeFileSystem(), dir)).toThrow(/unreadable/);
    expect(() => Wal.open({ dir, preallocate: 'off' })).toThrow();
    const ro = openWalReadOnly({ dir });
    expect(ro.report.corruptions).toEqual([expect.objectContaining({ kind: 'bad-high-water-mark' })]);
    expect([...ro.reader.records()]).toHaveLength(5);
  });

  it('as the lock file: a writer takes it over as an unreadable (stale) lock instead of hanging', async () => {
    const dir = await walWithRecords();
    const lock = path.join(dir, LOCK_FILE);
    execFileSync('mkfifo', [lock]);
    expect(() => new NodeFileSystem().readFile(lock)).toThrow(/ESPIPE/);
    const wal = Wal.open({ dir, preallocate: 'off' });
    expect(wal.recovery.lastSeq).toBe(5);
    expect(fs.statSync(lock).isFile()).toBe(true);
    await wal.close();
  });

  it('as a segment: opening the directory fails at once instead of hanging', async () => {
    const dir = await walWithRecords();
    execFileSync('mkfifo', [path.join(dir, segmentFileName(100))]);
    expect(() => openWalReadOnly({ dir })).toThrow(/ESPIPE/);
    expect(() => Wal.open({ dir, preallocate: 'off' })).toThrow(/ESPIPE/);
  });
});
