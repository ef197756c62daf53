/**
 * Regression tests for WAL bugs found in review (each was reproduced first).
 */
import { describe, expect, it } from 'vitest';
import { SimDisk } from './fs/SimDisk.ts';
import {
  encodeSegmentHeader,
  FRAME_CRC_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_OVERHEAD_BYTES,
  segmentFileName,
} from './format.ts';
import { openWalReadOnly } from './readOnly.ts';
import { frameLocations } from './testutil/frames.ts';
import { pad, text, TINY_WAL } from './testutil/tinyWal.ts';
import { Wal } from './Wal.ts';
import { RecordInvalidError } from '../record/errors.ts';

const O = TINY_WAL;

describe('WAL regressions', () => {
  it('a failed commit that rolled over into a new segment never shadows later acknowledged records', async () => {
    for (const failure of ['sync', 'enospc'] as const) {
      const disk = new SimDisk(1);
      const opts = { ...O, fs: disk, ...(failure === 'enospc' ? { preallocate: 'off' as const } : {}) };
      const wal = Wal.open(opts);
      const acked = new Map<number, string>();
      for (let i = 1; i <= 15; i++) acked.set(await wal.append(pad('ok', i)), `ok-${i}`);
      if (failure === 'sync') {
        let n = 0;
        disk.failNextSync('EIO', 1, (p) => p.endsWith('.prealloc') && ++n === 3);
      } else {
        disk.setCapacityBytes(disk.usedBytes + 1500);
      }
      const spanning = await wal
        .appendBatch([1, 2, 3, 4, 5, 6].map((i) => pad('failed', i)))
        .catch((e: { code: string }) => e.code);
      expect(typeof spanning).toBe('string');
      disk.setCapacityBytes(undefined);
      for (let i = 16; i <= 40; i++) acked.set(await wal.append(pad('ok', i)), `ok-${i}`);
      await wal.close();
      const again = Wal.open(opts);
      const recs = new Map([...again.read()].map((r) => [r.seq, text(r.payload)]));
      for (const [seq, id] of acked) expect(recs.get(seq), `${failure}: seq ${seq}`).toBe(id);
      expect(again.recovery.corruptions).toEqual([]);
      await again.close();
    }
  });

  it('time bounds of a segment cover every frame of its first commit', async () => {
    const disk = new SimDisk(1);
    const wal = Wal.open({ ...O, fs: disk });
    await Promise.all([10n, 20n, 30n].map((t) => wal.append(Buffer.from(`t${t}`), { timeUnixNano: t })));
    for (let i = 0; i < 30; i++) await wal.append(Buffer.alloc(200), { timeUnixNano: 100n + BigInt(i) });
    await wal.close();
    const again = Wal.open({ ...O, fs: disk });
    expect([...again.read({ fromTimeUnixNano: 15n, toTimeUnixNano: 35n })].map((r) => r.seq)).toEqual([2, 3]);
    await again.close();
  });

  it('a WAL written with a larger payloadBytesMax stays readable with a smaller one', async () => {
    const disk = new SimDisk(1);
    const wal = Wal.open({ ...O, fs: disk, segmentBytesMax: 65536, payloadBytesMax: 4096 });
    for (let i = 0; i < 5; i++) await wal.append(Buffer.alloc(i === 2 ? 3000 : 100, 1));
    const after = disk.crash({ mode: 'lose' });
    expect([...openWalReadOnly({ dir: '/w', fs: after }).reader.records()]).toHaveLength(5);
    const again = Wal.open({ ...O, fs: after, segmentBytesMax: 65536, payloadBytesMax: 1024 });
    expect(again.recovery.corruptions).toEqual([]);
    expect(again.recovery.tornTails).toEqual([]);
    expect(again.recovery.lastSeq).toBe(5);
    await again.close();
  });

  it('damage to the last record before a footer names that record', async () => {
    const disk = new SimDisk(1);
    const wal = Wal.open({ ...O, fs: disk });
    for (let i = 1; i <= 10; i++) await wal.append(pad('r', i));
    await wal.close();
    const first = `/w/${segmentFileName(1)}`;
    const fl = frameLocations(disk.fileBytes(first));
    const last = fl[fl.length - 1] as { offset: number; seq: number };
    disk.flipBit(first, last.offset + 40, 1);
    const again = Wal.open({ ...O, fs: disk, verifyOnOpen: 'full' });
    expect(again.recovery.corruptions).toEqual([
      expect.objectContaining({ kind: 'bad-frame', seqFrom: last.seq, seqTo: last.seq }),
    ]);
    expect(again.status().nextSeq).toBe(11);
    await again.close();
  });

  it('full verification at open does not rewrite healthy sealed segments', async () => {
    const disk = new SimDisk(1);
    const wal = Wal.open({ ...O, fs: disk });
    for (let i = 1; i <= 60; i++) await wal.append(pad('r', i));
    await wal.close();
    for (const verifyOnOpen of ['full', 'tail', 'full'] as const) {
      const w = Wal.open({ ...O, fs: disk, verifyOnOpen });
      expect(w.recovery.sealedOnOpen).toEqual([]);
      expect(w.recovery.corruptions).toEqual([]);
      await w.close();
    }
  });

  it('a segment from a newer format version stops the open with WAL_UNSUPPORTED_VERSION', async () => {
    const disk = new SimDisk(1);
    const wal = Wal.open({ ...O, fs: disk });
    await wal.append(pad('r', 1));
    await wal.close();
    const header = encodeSegmentHeader({
      formatVersion: 1,
      segmentNumber: 1,
      firstSeq: 1,
      createdUnixNano: 0n,
      segmentBytesMax: 4096,
      prevChainHash: new Uint8Array(32),
    });
    header.writeUInt16LE(2, 8);
    const { crc32c } = await import('@node-rs/crc32');
    header.writeUInt32LE(crc32c(header.subarray(0, 88)), 88);
    disk.overwrite(`/w/${segmentFileName(1)}`, 0, header);
    expect(() => Wal.open({ ...O, fs: disk })).toThrow(
      expect.objectContaining({ code: 'WAL_UNSUPPORTED_VERSION' }),
    );
  });

  it('appendSync while a group commit is syncing does not break that sync, even across a rollover', async () => {
    const disk = new SimDisk(1);
    disk.setSyncDelayMs(20);
    const wal = Wal.open({ ...O, fs: disk });
    const pending = Array.from({ length: 10 }, (_, i) => wal.append(pad('async', i)));
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 30; i++) wal.appendSync(pad('sync', i));
    const seqs = await Promise.all(pending);
    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(wal.status().failedBatches).toBe(0);
    await wal.close();
  });
});

describe('deferred records and the sequencer', () => {
  /** A toy chain: each record's payload carries a running counter and the previous payload's first byte sum. */
  function chainSequencer(): {
    seq: { n: number };
    sequencer: { snapshot(): unknown; restore(s: unknown): void };
  } {
    const seq = { n: 0 };
    return { seq, sequencer: { snapshot: () => seq.n, restore: (s) => (seq.n = s as number) } };
  }

  it('a deferred record that fails to build, or builds over payloadBytesMax, fails its batch retryably and writes nothing', async () => {
    const disk = new SimDisk(5);
    const wal = Wal.open({ ...O, fs: disk });
    const { seq, sequencer } = chainSequencer();
    wal.setSequencer(sequencer);
    const rec = (payload: () => Buffer) => ({
      estimatedBytes: 64,
      build: () => {
        seq.n++;
        return { payload: payload(), timeUnixNano: 1n };
      },
    });
    const ok = (tag: string) => rec(() => Buffer.from(tag));
    // Another producer's record shares each failing batch: it must get a retryable error, not a permanent one.
    const innocent = wal.appendDeferred([ok('innocent')]);
    const huge = wal.appendDeferred([rec(() => Buffer.alloc(O.payloadBytesMax + 1))]);
    await expect(innocent).rejects.toMatchObject({ code: 'WAL_BUILD_FAILED', retryable: true });
    await expect(huge).rejects.toMatchObject({ code: 'WAL_BUILD_FAILED', retryable: true });
    const innocent2 = wal.appendDeferred([ok('innocent2')]);
    const throws = wal.appendDeferred([
      rec(() => {
        throw new RecordInvalidError('body', 'bad record');
      }),
    ]);
    await expect(innocent2).rejects.toMatchObject({ code: 'WAL_BUILD_FAILED', retryable: true });
    await expect(throws).rejects.toMatchObject({ code: 'WAL_BUILD_FAILED', retryable: true });
    expect(seq.n).toBe(0);
    expect(await wal.appendDeferred([ok('after')])).toBe(1);
    await wal.close();
    const again = Wal.open({ ...O, fs: disk });
    expect([...again.read()].map((r) => r.payload.toString())).toEqual(['after']);
    await again.close();
  });

  it('builds payloads in WAL order, restores state after a failed batch, and adds extra frames', async () => {
    const disk = new SimDisk(3);
    const wal = Wal.open({ ...O, fs: disk });
    const { seq, sequencer } = chainSequencer();
    wal.setSequencer(sequencer);
    const rec = (tag: string) => ({
      estimatedBytes: 64,
      build: () => {
        seq.n++;
        const payload = Buffer.from(`${tag}#${seq.n}`);
        return seq.n % 3 === 0
          ? {
              payload,
              timeUnixNano: 1n,
              extra: [{ type: 3, payload: Buffer.from(`checkpoint@${seq.n}`), timeUnixNano: 1n }],
            }
          : { payload, timeUnixNano: 1n };
      },
    });
    expect(await wal.appendDeferred([rec('a'), rec('b')])).toBe(1);
    disk.failNextSync('EIO');
    await expect(wal.appendDeferred([rec('lost1'), rec('lost2')])).rejects.toMatchObject({
      code: 'WAL_SYNC_FAILED',
    });
    expect(seq.n).toBe(2);
    const first = await wal.appendDeferred([rec('c'), rec('d'), rec('e')]);
    expect(first).toBe(3);
    expect(wal.appendDeferredSync(rec('f'))).toBe(7);
    await wal.close();
    const again = Wal.open({ ...O, fs: disk });
    expect([...again.read()].map((r) => `${r.type}:${r.payload.toString()}`)).toEqual([
      '1:a#1',
      '1:b#2',
      '1:c#3',
      '3:checkpoint@3',
      '1:d#4',
      '1:e#5',
      '1:f#6',
      '3:checkpoint@6',
    ]);
    await again.close();
  });
});

describe('deferred records built inside their frame (DeferredBuild.framed)', () => {
  /** `text` with FRAME_HEADER_BYTES of room before it and FRAME_CRC_BYTES after, as encodeRecordWithRoom gives. */
  function withRoom(text: string): { framed: Buffer; payload: Buffer } {
    const framed = Buffer.alloc(FRAME_OVERHEAD_BYTES + Buffer.byteLength(text), 0xee);
    framed.write(text, FRAME_HEADER_BYTES);
    return { framed, payload: framed.subarray(FRAME_HEADER_BYTES, framed.length - FRAME_CRC_BYTES) };
  }

  it('a frame built in place is written as it is (header and CRC filled in), the same as a copied payload', async () => {
    const disk = new SimDisk(17);
    const wal = Wal.open({ ...O, fs: disk });
    wal.setSequencer({ snapshot: () => 0, restore: () => undefined });
    const inPlace = withRoom('in place');
    const framedRecord = { estimatedBytes: 64, build: () => ({ ...inPlace, timeUnixNano: 5n }) };
    const copied = {
      estimatedBytes: 64,
      build: () => ({ payload: Buffer.from('copied'), timeUnixNano: 6n }),
    };
    expect(await wal.appendDeferred([framedRecord, copied])).toBe(1);
    expect(
      wal.appendDeferredSync({
        estimatedBytes: 64,
        build: () => ({ ...withRoom('sync'), timeUnixNano: 7n }),
      }),
    ).toBe(3);
    // The frame handed to the WAL is the one written: its header now holds the length, type, seq and time.
    expect(inPlace.framed.readUInt32LE(0)).toBe(inPlace.framed.length);
    expect(inPlace.framed.readBigUInt64LE(8)).toBe(1n);
    await wal.close();
    const again = Wal.open({ ...O, fs: disk });
    expect([...again.read()].map((r) => `${r.seq}:${r.timeUnixNano}:${r.payload.toString()}`)).toEqual([
      '1:5:in place',
      '2:6:copied',
      '3:7:sync',
    ]);
    await again.close();
  });

  it('a `framed` buffer the payload does not lie in exactly is not trusted: the payload is copied', async () => {
    const disk = new SimDisk(18);
    const wal = Wal.open({ ...O, fs: disk });
    wal.setSequencer({ snapshot: () => 0, restore: () => undefined });
    const { framed } = withRoom('the frame says this');
    const build = () => ({ framed, payload: Buffer.from('the payload says that'), timeUnixNano: 1n });
    expect(await wal.appendDeferred([{ estimatedBytes: 64, build }])).toBe(1);
    await wal.close();
    const again = Wal.open({ ...O, fs: disk });
    expect([...again.read()].map((r) => r.payload.toString())).toEqual(['the payload says that']);
    await again.close();
  });
});

describe('fsync failures across concurrent syncs of one segment', () => {
  it('a strict append whose sync fails also fails the group-commit batch whose sync was in flight (fsyncgate)', async () => {
    const disk = new SimDisk(11);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('before', 1))).toBe(1);
    disk.setSyncDelayMs(30);
    const inFlight = wal.append(pad('async', 1));
    await new Promise((r) => setImmediate(r)); // written; its fdatasync is on the thread pool
    disk.failNextSync('EIO');
    expect(() => wal.appendSync(pad('strict', 1))).toThrow(
      expect.objectContaining({ code: 'WAL_SYNC_FAILED' }),
    );
    await expect(inFlight).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(wal.durableSeq).toBe(1);
  });
});

describe('background preallocation', () => {
  it('a segment created before the background preparation started does not leave that preparation running', async () => {
    const disk = new SimDisk(5);
    const wal = Wal.open({ ...O, fs: disk, preallocate: 'background' });
    // Several rollovers in one tick: each new segment starts a background preparation whose first step
    // waits for the event loop, so the next rollover finds it not started yet and creates the segment inline.
    for (let i = 0; i < 60; i++) wal.appendSync(pad('s', i));
    expect(wal.status().segments).toBeGreaterThan(3);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const prealloc = disk.listFiles().filter((p) => p.endsWith('.prealloc'));
    expect(prealloc.length, prealloc.join(', ')).toBeLessThanOrEqual(1);
    await wal.close();
    expect(disk.listFiles().filter((p) => p.endsWith('.prealloc'))).toEqual([]);
  });
});

describe('a strict append that rolls over while a failing group-commit sync is in flight (fsyncgate)', () => {
  it('the seal reports the write-back error, so the strict record is not acknowledged', async () => {
    const disk = new SimDisk(19);
    const wal = Wal.open({ ...O, fs: disk });
    for (let i = 1; i <= 2; i++) expect(await wal.append(pad('before', i))).toBe(i);
    disk.setSyncDelayMs(20);
    disk.failNextSync('EIO');
    // 15 more frames (17 fit in a segment) over several sectors: only the last is rewritten by the footer.
    const inFlight = wal.appendBatch(Array.from({ length: 15 }, (_, i) => pad('async', i + 3)));
    inFlight.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    let strictSeq: number | undefined;
    try {
      strictSeq = wal.appendSync(pad('strict', 18)); // does not fit: seals segment 1 first
    } catch (err) {
      expect(err).toMatchObject({ code: 'WAL_SYNC_FAILED' });
    }
    await expect(inFlight).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    const again = Wal.open({ ...O, fs: disk.crash({ mode: 'lose' }) });
    expect(again.recovery.corruptions).toEqual([]);
    const payloads = [...again.read()].map((r) => text(r.payload));
    expect(payloads.slice(0, 2)).toEqual(['before-1', 'before-2']);
    if (strictSeq !== undefined) expect(payloads[strictSeq - 1]).toBe('strict-18');
    await again.close();
  });
});

describe('flush after a failed commit', () => {
  it('flush() rejects when the only pending commit fails in its in-flight sync', async () => {
    const disk = new SimDisk(13);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('before', 1))).toBe(1);
    disk.setSyncDelayMs(20);
    disk.failNextSync('EIO');
    const pending = wal.append(pad('lost', 1));
    pending.catch(() => undefined);
    await new Promise((r) => setImmediate(r)); // written; its failing sync is in flight
    const flushed = wal.flush();
    await expect(pending).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    await expect(flushed).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(wal.durableSeq).toBe(1);
    await wal.close();
  });
});

describe('a strict append while a failing group-commit sync of its segment is in flight (fsyncgate)', () => {
  it('never acknowledges a record whose segment lost earlier data to a write-back error another sync reported', async () => {
    const disk = new SimDisk(17);
    const wal = Wal.open({ ...O, fs: disk });
    expect(await wal.append(pad('before', 1))).toBe(1);
    disk.setSyncDelayMs(20);
    disk.failNextSync('EIO'); // taken by the group commit's sync: its write-back fails, and it alone reports it
    const inFlight = wal.append(pad('async', 1));
    inFlight.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    let strictSeq: number | undefined;
    try {
      strictSeq = wal.appendSync(pad('strict', 1));
    } catch (err) {
      expect(err).toMatchObject({ code: 'WAL_SYNC_FAILED' });
    }
    await expect(inFlight).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    const after = disk.crash({ mode: 'lose' });
    const again = Wal.open({ ...O, fs: after });
    const payloads = [...again.read()].map((r) => text(r.payload));
    // Whatever was acknowledged is there after the power loss.
    if (strictSeq !== undefined) expect(payloads[strictSeq - 1]).toBe('strict-1');
    expect(payloads[0]).toBe('before-1');
    await again.close();
  });
});

describe("syncPolicy 'none'", () => {
  it('a closed loop of appenders does not starve timers (each commit yields to the event loop)', async () => {
    const wal = Wal.open({ ...O, fs: new SimDisk(23), syncPolicy: 'none', segmentBytesMax: 1 << 20 });
    let timerFiredAt: number | undefined;
    let acked = 0;
    setTimeout(() => (timerFiredAt = acked), 0);
    const client = async (): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        await wal.append(pad('n', i));
        acked++;
      }
    };
    await Promise.all([client(), client()]);
    // Committing only in microtasks, all 1,000 appends finish before the timer can fire.
    expect(timerFiredAt).toBeDefined();
    expect(timerFiredAt).toBeLessThan(1000);
    await wal.close();
  });
});

describe('background preallocation off the main thread', () => {
  it('a prepared segment is zero-filled and synced before it takes records; rolling over into it writes no zeros', async () => {
    const disk = new SimDisk(29);
    const segmentBytesMax = 4 << 20;
    const wal = Wal.open({ ...O, fs: disk, preallocate: 'background', segmentBytesMax });
    expect(wal.appendSync(pad('a', 0))).toBe(1);
    const prepared = async (): Promise<string | undefined> => {
      for (let i = 0; i < 200; i++) {
        const p = disk.listFiles().find((f) => f.endsWith('.background.prealloc'));
        if (p && disk.durableBytes(p).length === segmentBytesMax) return p;
        await new Promise((r) => setImmediate(r));
      }
      return undefined;
    };
    const p = await prepared();
    expect(p, 'the next segment is prepared, with its size durable').toBeDefined();
    // Strict appends (synchronous: no background I/O lands in between) until one rolls over.
    let rolloverBytes = -1;
    for (let i = 1; rolloverBytes < 0 && i < 100_000; i++) {
      const before = disk.stats.bytesWritten;
      wal.appendSync(pad('c', i));
      if (wal.status().segments === 2) rolloverBytes = disk.stats.bytesWritten - before;
    }
    // The footer, the new header and the frame: no zero-fill on the calling thread.
    expect(rolloverBytes).toBeGreaterThan(0);
    expect(rolloverBytes).toBeLessThan(64 * 1024);
    expect(
      disk.listFiles().filter((f) => f.endsWith('.prealloc') && !f.endsWith('.background.prealloc')),
    ).toEqual([]);
    await wal.close();
    expect(disk.listFiles().filter((f) => f.endsWith('.prealloc'))).toEqual([]);
  });
});

describe('a group commit that rolls over while the next segment is being prepared', () => {
  it('waits for the background preparation instead of zero-filling a segment inline on the main thread', async () => {
    const disk = new SimDisk(33);
    const opened: string[] = [];
    const open = disk.open.bind(disk);
    disk.open = (p, mode) => {
      opened.push(p);
      return open(p, mode);
    };
    const segmentBytesMax = 4 << 20;
    const wal = Wal.open({
      ...O,
      fs: disk,
      preallocate: 'background',
      segmentBytesMax,
      payloadBytesMax: 64 << 10,
    });
    expect(await wal.append(pad('a', 0))).toBe(1); // segment 1, created inline; its successor's preparation starts
    expect(disk.listFiles().some((f) => f.endsWith('.background.prealloc'))).toBe(true);
    // Straight away, more than the rest of segment 1 in one commit: the preparation (four 1 MiB writes and a
    // sync on the simulated thread pool) is not ready yet.
    const big = Array.from({ length: 80 }, (_, i) => Buffer.alloc(60 << 10, i));
    expect(await wal.appendBatch(big)).toBe(2);
    expect(wal.status().segments).toBe(2);
    // Only segment 1 was created inline (opened twice: to write, and for synchronous syncs); segment 2 is the
    // prepared file.
    expect(new Set(opened.filter((f) => /segment-\d+\.prealloc$/.test(f)))).toEqual(
      new Set(['/w/segment-1.prealloc']),
    );
    expect(opened).toContain('/w/segment-2.background.prealloc');
    expect([...wal.read()].map((r) => r.payload.length)).toEqual([200, ...big.map((b) => b.length)]);
    await wal.close();
  });
});

describe('after WAL_FAILED', () => {
  /** c's commit sync fails and so does removing its segment (WAL_FAILED); d is appended while c syncs. */
  async function failWhileSecondQueued(
    commitsInFlightMax: number,
  ): Promise<{ c: Error; d: Error; wal: Wal }> {
    const disk = new SimDisk(31);
    const wal = Wal.open({ ...O, fs: disk, commitsInFlightMax });
    expect(await wal.append(pad('a', 1))).toBe(1);
    disk.failNextWrite('EIO');
    await expect(wal.append(pad('b', 2))).rejects.toMatchObject({ code: 'WAL_IO' }); // segment 1 abandoned
    // c creates segment 2; its commit sync fails, and so does the directory sync removing segment 2.
    let syncs = 0;
    disk.failNextSync('EIO', 1, () => ++syncs === 2); // the header sync goes through, the commit's not
    let dirSyncs = 0;
    disk.failNextSyncDir('EIO', 1, () => ++dirSyncs === 2); // the rename's goes through, the removal's not
    disk.setSyncDelayMs(20);
    const c = wal.append(pad('c', 2));
    c.catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    const d = wal.append(pad('d', 2)); // appended while c's sync runs
    d.catch(() => undefined);
    const outcome = async (p: Promise<number>): Promise<Error> => {
      const r = await p.then(
        (seq) => new Error(`acknowledged as ${seq}`),
        (err: unknown) => err as Error,
      );
      return r;
    };
    return { c: await outcome(c), d: await outcome(d), wal };
  }

  it('appends already queued when the WAL fails are rejected, not written and acknowledged', async () => {
    // One commit at a time: d waits in the queue, and is refused once the WAL has failed.
    const { c, d, wal } = await failWhileSecondQueued(1);
    expect(c).toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(wal.failure).toMatchObject({ code: 'WAL_FAILED' });
    expect(d).toMatchObject({ code: 'WAL_FAILED' });
    expect(wal.durableSeq).toBe(1);
    await wal.close();
  });

  it('a commit written while the failing one synced fails with it, before it, and is not acknowledged', async () => {
    // Two commits in flight (the default): d is written into c's segment while c syncs, so c's failed
    // sync fails d too (first, so their numbers go back in order), with c's error.
    const { c, d, wal } = await failWhileSecondQueued(2);
    expect(c).toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(d).toMatchObject({ code: 'WAL_SYNC_FAILED' });
    expect(wal.failure).toMatchObject({ code: 'WAL_FAILED' });
    expect(wal.durableSeq).toBe(1);
    // b, then d and c: both numbers given back, in order (d's first, then c's).
    expect(wal.status()).toMatchObject({ failedBatches: 3, nextSeq: 2 });
    await wal.close();
  });
});

describe('a frame time outside int64', () => {
  it('is refused at append (typed), instead of being stored wrapped and failing the seal of its segment later', async () => {
    const disk = new SimDisk(37);
    const wal = Wal.open({ ...O, fs: disk });
    const t = 2n ** 64n - 1n; // a valid OTLP time (uint64)
    await expect(wal.append(pad('big', 0), { timeUnixNano: t })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const framed = Buffer.alloc(28 + 10);
    await expect(wal.appendFramedBatch([framed], { timesUnixNano: [t] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(() => wal.appendSync(pad('big', 1), { timeUnixNano: -(2n ** 63n) - 1n })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // The int64 bounds themselves are fine; then enough records for several rollovers, all acknowledged.
    const acked: number[] = [];
    acked.push(await wal.append(pad('max', 0), { timeUnixNano: 2n ** 63n - 1n }));
    acked.push(await wal.append(pad('min', 0), { timeUnixNano: -(2n ** 63n) }));
    for (let i = 1; i <= 50; i++) acked.push(await wal.append(pad('x', i)));
    expect(acked).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    await wal.close();
    const again = Wal.open({ ...O, fs: disk });
    const recs = [...again.read()];
    expect(recs.map((r) => r.seq)).toEqual(acked);
    expect(recs.slice(0, 2).map((r) => r.timeUnixNano)).toEqual([2n ** 63n - 1n, -(2n ** 63n)]);
    expect(again.recovery.corruptions).toEqual([]);
    await again.close();
  });
});

describe('close() called twice', () => {
  it('the second call resolves only once the WAL is closed (lock released, preparation stopped)', async () => {
    const disk = new SimDisk(43);
    const opts = { ...O, fs: disk, preallocate: 'background' as const, segmentBytesMax: 4 << 20 };
    const wal = Wal.open(opts);
    expect(await wal.append(pad('a', 1))).toBe(1); // segment 1; its successor's preparation is running
    const first = wal.close();
    await wal.close();
    expect(disk.listFiles().filter((f) => f.endsWith('.prealloc'))).toEqual([]);
    const again = Wal.open(opts); // WAL_LOCKED if the lock were still held
    expect([...again.read()].map((r) => text(r.payload))).toEqual(['a-1']);
    await first;
    await again.close();
  });
});

describe('background preparations cancelled before they start', () => {
  it('are forgotten (the writer does not keep one per rollover)', async () => {
    const disk = new SimDisk(47);
    const wal = Wal.open({ ...O, fs: disk, preallocate: 'background' });
    // Each rollover in this tick cancels the preparation the previous one started, before its first step.
    for (let i = 0; i < 200; i++) wal.appendSync(pad('s', i));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const writer = (wal as unknown as { writer: { preparing: Set<unknown> } }).writer;
    expect(wal.status().segments).toBeGreaterThan(10);
    expect(writer.preparing.size).toBeLessThanOrEqual(1);
    await wal.close();
    expect(writer.preparing.size).toBe(0);
  });
});

describe('a crash while commits written as several runs of adjacent frames are in flight', () => {
  /** Frames with room for header and CRC around each payload, adjacent in one block of memory. */
  const framesInBlock = (payloads: readonly Buffer[]): Buffer[] => {
    const block = Buffer.alloc(
      payloads.reduce((n, p) => n + p.length + 28, 0),
      0xee,
    );
    const frames: Buffer[] = [];
    let at = 0;
    for (const p of payloads) {
      const f = block.subarray(at, at + p.length + 28);
      p.copy(f, 24);
      frames.push(f);
      at += f.length;
    }
    return frames;
  };
  it('loses no acknowledged record and reports no corruption (torn multi-write commits are torn tails)', async () => {
    let torn = 0;
    for (let seed = 1; seed <= 16; seed++) {
      const disk = new SimDisk(1000 + seed);
      const opts = {
        dir: '/w',
        fs: disk,
        segmentBytesMax: 1 << 20,
        payloadBytesMax: 8192,
        preallocate: seed % 2 ? ('background' as const) : ('inline' as const),
      };
      const wal = Wal.open(opts);
      disk.setSyncDelayMs(2);
      const acked = new Map<number, string>();
      let n = 0;
      for (let i = 0; i < 12; i++) {
        // Three blocks of ten ~7 KB frames: three runs of > 64 KiB, written straight from memory, one
        // write each, before the commit's one sync.
        const tags: string[] = [];
        const frames: Buffer[] = [];
        for (let b = 0; b < 3; b++) {
          const ps: Buffer[] = [];
          for (let k = 0; k < 10; k++, n++) {
            tags.push(`r${n}`);
            ps.push(Buffer.from(`r${n}`.padEnd(7000 + (n % 13), '.')));
          }
          frames.push(...framesInBlock(ps));
        }
        wal.appendFramedBatch(frames).then(
          (first) => tags.forEach((t, k) => acked.set(first + k, t)),
          () => undefined,
        );
        await new Promise((r) => setTimeout(r, (seed * 7 + i) % 3));
      }
      await new Promise((r) => setTimeout(r, seed % 5));
      const again = Wal.open({ ...opts, fs: disk.crash({ mode: 'tear' }) });
      const recs = new Map([...again.read()].map((r) => [r.seq, text(r.payload)]));
      for (const [s, t] of acked) expect(recs.get(s), `seed ${seed}: seq ${s}`).toBe(t);
      expect(again.recovery.corruptions, `seed ${seed}`).toEqual([]);
      torn += again.recovery.tornTails.length;
      await again.close();
    }
    expect(torn, 'some crashes tore a commit in flight').toBeGreaterThan(0);
  });
});
