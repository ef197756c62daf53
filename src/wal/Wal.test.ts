import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FRAME_OVERHEAD_BYTES } from './format.ts';
import { Wal } from './Wal.ts';
import { openWalReadOnly } from './readOnly.ts';
import { framesInBlock } from './testutil/frames.ts';
import { tempDirsRemovedAfterEach } from '../cli/testutil/tempDirs.ts';

const tmp = tempDirsRemovedAfterEach('otel-audit-');
const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('Wal on the real file system', () => {
  it('acknowledges appends with consecutive sequence numbers and reads them back after reopening', async () => {
    const dir = tmp();
    const wal = Wal.open({ dir });
    const seqs = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append(enc(`record ${i}`))));
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(wal.durableSeq).toBe(100);
    await wal.close();
    const again = Wal.open({ dir });
    const recs = [...again.read()];
    expect(recs.map((r) => r.payload.toString())).toEqual(
      Array.from({ length: 100 }, (_, i) => `record ${i}`),
    );
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails).toEqual([]);
    expect(await again.append(enc('next'))).toBe(101);
    await again.close();
  });

  it('groups concurrent appends into few commits', async () => {
    const wal = Wal.open({ dir: tmp() });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => wal.append(enc(`r${i}`))));
    expect(wal.status().commits).toBeLessThan(50);
    await wal.close();
  });

  it('appendBatch returns the first sequence number; appendSync is durable on return', async () => {
    const dir = tmp();
    const wal = Wal.open({ dir });
    expect(await wal.appendBatch([enc('a'), enc('b'), enc('c')])).toBe(1);
    expect(wal.appendSync(enc('d'))).toBe(4);
    expect(wal.durableSeq).toBe(4);
    await wal.close();
    expect([...openWalReadOnly({ dir }).reader.records()].map((r) => r.payload.toString())).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('rolls over segments, seals them with footers, and reads by sequence number and by time', async () => {
    const dir = tmp();
    let now = 1_000_000_000n;
    const wal = Wal.open({
      dir,
      segmentBytesMax: 8192,
      payloadBytesMax: 1024,
      indexIntervalBytes: 512,
      clock: () => now,
    });
    for (let i = 1; i <= 300; i++) {
      now = BigInt(i) * 1_000_000_000n;
      await wal.append(enc(`payload-${i}-`.padEnd(100, 'x')));
    }
    expect(wal.status().segments).toBeGreaterThan(3);
    expect([...wal.read({ fromSeq: 250 })].map((r) => r.seq)).toEqual(
      Array.from({ length: 51 }, (_, i) => 250 + i),
    );
    const byTime = [...wal.read({ fromTimeUnixNano: 100_000_000_000n, toTimeUnixNano: 110_000_000_000n })];
    expect(byTime.map((r) => r.seq)).toEqual(Array.from({ length: 11 }, (_, i) => 100 + i));
    await wal.close();
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.wal'));
    expect(names[0]).toBe('00000000000000000001.wal');
    const ro = openWalReadOnly({ dir });
    expect([...ro.reader.records({ fromSeq: 10, toSeq: 12 })].map((r) => r.seq)).toEqual([10, 11, 12]);
    expect(ro.report.records).toBe(300);
  });

  it('close commits what waits for commitDelayMs at once instead of waiting out the delay', async () => {
    const dir = tmp();
    const wal = Wal.open({ dir, commitDelayMs: 10_000 });
    // The delay's timer is faked and never advanced: on code that waits it out, close never resolves.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const acked = wal.append(enc('delayed'));
      await wal.close();
      expect(await acked).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    expect([...openWalReadOnly({ dir }).reader.records()].map((r) => r.payload.toString())).toEqual([
      'delayed',
    ]);
  });

  it('refuses a second writer on the same directory with WAL_LOCKED', async () => {
    const dir = tmp();
    const wal = Wal.open({ dir });
    expect(() => Wal.open({ dir })).toThrow(expect.objectContaining({ code: 'WAL_LOCKED' }));
    await wal.close();
    const again = Wal.open({ dir });
    await again.close();
  });

  it('rejects payloads over payloadBytesMax with a typed error and keeps working', async () => {
    const wal = Wal.open({ dir: tmp(), payloadBytesMax: 16, segmentBytesMax: 4096 });
    await expect(wal.append(Buffer.alloc(17))).rejects.toMatchObject({ code: 'WAL_PAYLOAD_TOO_LARGE' });
    expect(await wal.append(Buffer.alloc(16))).toBe(1);
    expect(await wal.append(Buffer.alloc(0))).toBe(2);
    await wal.close();
  });

  it('bounds the queue: reject policy refuses with a retryable error, block policy waits', async () => {
    const wal = Wal.open({ dir: tmp(), queueRecordsMax: 4, whenQueueFull: 'reject' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => wal.append(enc('x'))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBe(6);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'WAL_QUEUE_FULL',
      retryable: true,
    });
    await wal.close();
    const blocking = Wal.open({ dir: tmp(), queueRecordsMax: 4, whenQueueFull: 'block' });
    const seqs = await Promise.all(Array.from({ length: 10 }, () => blocking.append(enc('x'))));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await blocking.close();
  });

  it('tails: yields durable records as they are appended', async () => {
    const wal = Wal.open({ dir: tmp() });
    const ac = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const r of wal.tail({ fromSeq: 1, signal: ac.signal })) {
        seen.push(r.seq);
        if (r.seq === 20) ac.abort();
      }
    })();
    for (let i = 0; i < 20; i++) await wal.append(enc(`t${i}`));
    await done;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await wal.close();
  });

  it('commits cursors atomically and durably', async () => {
    const dir = tmp();
    const wal = Wal.open({ dir });
    await wal.appendBatch([enc('a'), enc('b')]);
    expect(wal.cursors.get('s3')).toBe(0);
    await wal.cursors.commit('s3', 2);
    await expect(wal.cursors.commit('s3', 3)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await wal.close();
    const again = Wal.open({ dir });
    expect(again.cursors.get('s3')).toBe(2);
    expect(again.cursors.list()).toEqual(['s3']);
    fs.writeFileSync(path.join(dir, 'cursors', 's3.cursor'), Buffer.alloc(32, 1));
    expect(() => again.cursors.get('s3')).toThrow(expect.objectContaining({ code: 'WAL_CURSOR_CORRUPT' }));
    await again.close();
  });
});

describe('Wal.appendFramedBatch (payloads written inside their frames)', () => {
  const payloadsOf = (n: number, tag: string): Buffer[] =>
    Array.from({ length: n }, (_, i) => enc(`${tag}-${i}-${'p'.repeat((i * 37) % 300)}`));

  it('writes runs of adjacent frames without a copy, across segment rollovers, and reads them back intact', async () => {
    const dir = tmp();
    const wal = Wal.open({ dir, segmentBytesMax: 512 * 1024, payloadBytesMax: 4096 });
    // Five blocks of adjacent frames (~165 KB each: several runs per segment write, each written straight
    // from memory) and a lone frame from elsewhere, in one batch; then a batch through the copying path.
    const blocks = ['a', 'b', 'c', 'd', 'e'].map((tag) => payloadsOf(900, tag));
    const lone = [enc('lone')];
    const frames = [...blocks.flatMap(framesInBlock), ...framesInBlock(lone)];
    const times = frames.map((_, i) => 1_000n + BigInt(i));
    expect(await wal.appendFramedBatch(frames, { timesUnixNano: times })).toBe(1);
    expect(await wal.appendBatch([enc('after')])).toBe(frames.length + 1);
    expect(wal.status().segments).toBeGreaterThan(1);
    await wal.close();
    const again = Wal.open({ dir, segmentBytesMax: 512 * 1024, payloadBytesMax: 4096 });
    const recs = [...again.read()];
    expect(recs.map((r) => r.payload.toString())).toEqual(
      [...blocks.flat(), ...lone, enc('after')].map(String),
    );
    expect(recs.slice(0, 3).map((r) => r.timeUnixNano)).toEqual([1_000n, 1_001n, 1_002n]);
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails).toEqual([]);
    await again.close();
  });

  it('refuses a payload over payloadBytesMax and a frame without room, before anything is queued', async () => {
    const wal = Wal.open({ dir: tmp(), payloadBytesMax: 100 });
    await expect(wal.appendFramedBatch(framesInBlock([Buffer.alloc(101)]))).rejects.toMatchObject({
      code: 'WAL_PAYLOAD_TOO_LARGE',
    });
    await expect(wal.appendFramedBatch([Buffer.alloc(FRAME_OVERHEAD_BYTES - 1)])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(wal.status().queuedRecords).toBe(0);
    expect(await wal.appendFramedBatch(framesInBlock([Buffer.alloc(100, 1)]))).toBe(1);
    await wal.close();
  });
});
