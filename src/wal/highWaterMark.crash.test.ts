/**
 * The high-water mark across a real kill -9: a child (test/fixtures/walCrashChild.ts, the WAL crash test's)
 * appends with durable acknowledgements on the real file system under a rollover-heavy load (8 KiB segments)
 * and is killed with SIGKILL. A kill keeps the page cache, so the reopened WAL must never refuse (no false
 * alarm from a mark written at a rollover) and must hold every acknowledged record; a copy of the directory
 * whose newest segments are then deleted must be refused (WAL_CORRUPT) and reported by a read-only open.
 * The second test does the same with the periodic mark alone (testutil/markCrashChild.ts: one large
 * segment, a 20 ms interval): the mark covers records acknowledged since the open, not only at rollovers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { listSegments } from './recover.ts';
import { readHighWaterMark } from './HighWaterMark.ts';
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import { openWalReadOnly } from './readOnly.ts';
import { frameLocations } from './testutil/frames.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import { Wal } from './Wal.ts';
import { WalRecordsLostError } from './WalRecordsLostError.ts';

const CHILD = fileURLToPath(new URL('../../test/fixtures/walCrashChild.ts', import.meta.url));
const MARK_CHILD = fileURLToPath(new URL('./testutil/markCrashChild.ts', import.meta.url));
const SEGMENT_BYTES = 8 * 1024;
const ACKED_TARGET = 600;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/**
 * Runs `node <args>` (writing `stdin` to it, if given) and reads the highest acknowledged seq from its stdout
 * lines through `ackedOf`; kills it with SIGKILL once `killNow(acked)` holds (or after 20 s). Resolves once its
 * output is closed: every ack it reported has been read.
 */
async function ackedBeforeKill(
  args: string[],
  stdin: string | undefined,
  ackedOf: (fields: string[]) => number,
  killNow: (acked: number) => boolean,
): Promise<{ acked: number; stderr: string }> {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let acked = 0;
  let buffered = '';
  let stderr = '';
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 20_000);
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) acked = Math.max(acked, ackedOf(line.split(' ')));
    if (killNow(acked)) child.kill('SIGKILL');
  });
  if (stdin !== undefined) child.stdin.write(stdin);
  await closed;
  clearTimeout(watchdog);
  return { acked, stderr };
}

/** Runs the crash child until it has acknowledged `ACKED_TARGET` records (or 20 s), kills it; the highest acked seq. */
async function appendThenKill(dir: string): Promise<number> {
  const { acked, stderr } = await ackedBeforeKill(
    [CHILD, '--dir', dir, '--round', '1', '--seed', '42', '--segment-bytes', String(SEGMENT_BYTES)],
    'go\n',
    ([kind, seq, ...ids]) =>
      kind === 'A' || kind === 'S' ? Number(seq) : kind === 'B' ? Number(seq) + ids.length - 1 : 0,
    (n) => n >= ACKED_TARGET,
  );
  expect(acked, `the child acknowledged too little before the kill; stderr: ${stderr}`).toBeGreaterThan(100);
  return acked;
}

describe('high-water mark across SIGKILL', () => {
  it('no false refusal after a real kill; a lost newest segment after it is refused', async () => {
    const { dir, cleanup } = makeTempDir('otel-audit-hwm-kill-');
    cleanups.push(cleanup);
    const acked = await appendThenKill(dir);
    const mark = readHighWaterMark(nodeFileSystem, dir);
    expect(mark, 'rollovers wrote a mark').toBeDefined();
    expect(mark?.lastSeq).toBeLessThanOrEqual(acked);
    const lossy = `${dir}-lossy`;
    fs.cpSync(dir, lossy, { recursive: true });
    cleanups.push(() => fs.rmSync(lossy, { recursive: true, force: true }));

    const ro = openWalReadOnly({ dir });
    expect(ro.report.corruptions).toEqual([]);
    expect(ro.report.belowHighWaterMark).toBeUndefined();
    const wal = Wal.open({ dir, segmentBytesMax: SEGMENT_BYTES, payloadBytesMax: 1024 });
    expect(wal.recovery.corruptions).toEqual([]);
    expect(wal.durableSeq).toBeGreaterThanOrEqual(acked);
    await wal.close();

    // The segment holding the mark and every later one, lost.
    const markSegment = mark?.segmentFirstSeq ?? 0;
    for (const s of listSegments(nodeFileSystem, lossy))
      if (s.firstSeq >= markSegment) fs.rmSync(path.join(lossy, s.name));
    let refused: unknown;
    try {
      Wal.open({ dir: lossy, segmentBytesMax: SEGMENT_BYTES, payloadBytesMax: 1024 }).close();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(WalRecordsLostError);
    expect(refused).toMatchObject({
      code: 'WAL_CORRUPT',
      lost: { expectedLastSeq: mark?.lastSeq, foundLastSeq: markSegment - 1, expectedSegmentPresent: false },
    });
    expect(openWalReadOnly({ dir: lossy }).report.corruptions).toEqual([
      expect.objectContaining({ kind: 'lost-tail', seqFrom: markSegment, seqTo: mark?.lastSeq }),
    ]);
  }, 60_000);

  it('periodic mark, no rollover: after a real kill the WAL reopens with every ack; the newest segment cut below the mark is refused', async () => {
    const { dir, cleanup } = makeTempDir('otel-audit-hwm-periodic-');
    cleanups.push(cleanup);
    const { acked, stderr } = await ackedBeforeKill(
      [MARK_CHILD, '--dir', dir, '--interval-ms', '20'],
      undefined,
      ([kind, seq]) => (kind === 'A' ? Number(seq) : 0),
      // Killed once the mark has advanced a few times past 200 acknowledged records: in the middle of
      // appends, possibly in the middle of a mark write.
      (n) => n >= 400 && (readHighWaterMark(nodeFileSystem, dir)?.lastSeq ?? 0) >= 200,
    );
    expect(acked, `the child acknowledged too little before the kill; stderr: ${stderr}`).toBeGreaterThan(
      200,
    );
    const mark = readHighWaterMark(nodeFileSystem, dir);
    expect(mark?.segmentFirstSeq, 'no rollover: the periodic write made the mark').toBe(1);
    expect(mark?.lastSeq).toBeGreaterThanOrEqual(200);
    expect(mark?.lastSeq).toBeLessThanOrEqual(acked); // only acknowledged numbers
    const lossy = `${dir}-lossy`;
    fs.cpSync(dir, lossy, { recursive: true });
    cleanups.push(() => fs.rmSync(lossy, { recursive: true, force: true }));

    const wal = Wal.open({ dir, segmentBytesMax: 64 * 1024 * 1024, payloadBytesMax: 1024 });
    expect(wal.recovery.corruptions).toEqual([]);
    expect(wal.durableSeq).toBeGreaterThanOrEqual(acked);
    const seqs = [...wal.read({ toSeq: acked })].map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: acked }, (_, i) => i + 1));
    await wal.close();

    // The newest (only) segment cut right before the mark's record: refused, not taken for a torn tail.
    const seg = path.join(lossy, listSegments(nodeFileSystem, lossy)[0]?.name ?? '');
    const at = frameLocations(fs.readFileSync(seg)).find((f) => f.seq === mark?.lastSeq);
    expect(at).toBeDefined();
    fs.truncateSync(seg, at?.offset ?? 0);
    let refused: unknown;
    try {
      Wal.open({ dir: lossy, segmentBytesMax: 64 * 1024 * 1024, payloadBytesMax: 1024 }).close();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(WalRecordsLostError);
    expect(refused).toMatchObject({
      code: 'WAL_CORRUPT',
      lost: { expectedLastSeq: mark?.lastSeq, foundLastSeq: (mark?.lastSeq ?? 0) - 1 },
    });
  }, 60_000);
});
