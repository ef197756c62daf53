/**
 * ChainSequencer's rollback, as the WAL drives it: a batch takes a snapshot,
 * builds its records, and on failure restores the snapshot. Checkpoints of
 * earlier, durable batches may have been taken (published) in between.
 */
import { describe, expect, it, vi } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { ChainSequencer, UNSIGNED } from './ChainSequencer.ts';
import { ChainState } from './ChainState.ts';
import { decodeSignedCheckpoint } from './checkpoint.ts';
import { FrameType } from '../../wal/format.ts';
import { wallClockNs } from '../../wal/options.ts';

function sequencer(checkpointEveryRecords = 1): ChainSequencer {
  return new ChainSequencer(
    {
      chain: new ChainState('s-1'),
      signer: UNSIGNED,
      checkpointEveryRecords,
      checkpointEveryMs: 60_000,
      clock: () => 1n,
    },
    0,
  );
}

const build = (s: ChainSequencer, n: number): void => {
  s.deferredRecord(createAuditRecord({ body: `r${n}` }), 1n, 100).build();
};

describe('ChainSequencer rollback', () => {
  it('drops only the failed batch checkpoints, even after earlier ones were taken', () => {
    const s = sequencer();
    build(s, 1); // batch A: record 1 + checkpoint at 1
    const beforeB = s.snapshot(); // batch B is taken while A's checkpoint is still unpublished
    const taken = s.takeBuilt(); // A is durable: its checkpoint is published
    expect(taken.map((c) => c.checkpoint.treeSize)).toEqual([1]);
    build(s, 2); // batch B: record 2 + checkpoint at 2
    s.restore(beforeB); // B failed
    expect(s.chain.size).toBe(1);
    expect(s.takeBuilt()).toEqual([]);
    build(s, 2); // the retry
    expect(s.takeBuilt().map((c) => c?.checkpoint.treeSize)).toEqual([2]);
  });

  it('takes only the checkpoints built before a batch still in flight (the WAL writes the next while one syncs)', () => {
    const s = sequencer();
    build(s, 1); // batch A: record 1 + checkpoint at 1
    const beforeB = s.snapshot();
    build(s, 2); // batch B, written while A syncs: record 2 + checkpoint at 2
    // A is durable, B not yet: only A's checkpoint may be published.
    expect(s.takeBuilt(beforeB).map((c) => c.checkpoint.treeSize)).toEqual([1]);
    expect(s.takeBuilt(beforeB)).toEqual([]);
    const beforeC = s.snapshot();
    build(s, 3); // batch C, written while B syncs
    expect(s.takeBuilt(beforeC).map((c) => c.checkpoint.treeSize)).toEqual([2]); // B durable
    s.restore(beforeC); // C failed: its checkpoint goes, B's stays published
    expect(s.takeBuilt()).toEqual([]);
    build(s, 3);
    expect(s.takeBuilt().map((c) => c.checkpoint.treeSize)).toEqual([3]);
  });

  it('drops a failed batch checkpoint that was not taken yet', () => {
    const s = sequencer();
    build(s, 1);
    const beforeB = s.snapshot();
    build(s, 2);
    s.restore(beforeB);
    expect(s.takeBuilt().map((c) => c.checkpoint.treeSize)).toEqual([1]);
  });
});

describe('ChainSequencer standalone checkpoint', () => {
  it('builds no second checkpoint when a count-triggered one already covers the records (idle timer race)', () => {
    const s = sequencer(2);
    build(s, 1);
    expect(s.pending).toBe(1);
    const idle = s.deferredCheckpoint(); // the idle timer saw a record pending and queued a checkpoint
    const r2 = s.deferredRecord(createAuditRecord({ body: 'r2' }), 1n, 100).build(); // queued before it
    expect(r2.extra?.length).toBe(1); // record 2 completes the count: checkpoint at 2
    const again = idle.build();
    const built = s.takeBuilt();
    expect(built.map((c) => c.checkpoint.treeSize)).toEqual([2]); // signed and published once
    expect(again.type).toBe(FrameType.CHECKPOINT);
    expect(Buffer.from(again.payload).equals(Buffer.from(r2.extra?.[0]?.payload ?? []))).toBe(true);
  });

  it('builds a new checkpoint when records arrived since the last one', () => {
    const s = sequencer(2);
    build(s, 1);
    build(s, 2);
    build(s, 3);
    const f = s.deferredCheckpoint().build();
    expect(f.type).toBe(FrameType.CHECKPOINT);
    expect(s.takeBuilt().map((c) => c.checkpoint.treeSize)).toEqual([2, 3]);
  });

  it('forgets the last checkpoint frame of a rolled-back batch', () => {
    const s = sequencer(2);
    build(s, 1);
    const before = s.snapshot();
    build(s, 2); // checkpoint at 2, then the batch fails
    s.restore(before);
    build(s, 2); // the retry: checkpoint at 2 again
    const f = s.deferredCheckpoint().build();
    expect(decodeSignedCheckpoint(f.payload).checkpoint.treeSize).toBe(2);
    expect(s.takeBuilt().map((c) => c.checkpoint.treeSize)).toEqual([2]);
  });
});

describe('ChainSequencer time-triggered checkpoints', () => {
  /** Whether building record `i` adds a checkpoint frame after it. */
  const checkpointAfter = (s: ChainSequencer, i: number): boolean =>
    s.deferredRecord(createAuditRecord({ body: `r ${i}` }), undefined, 512).build().extra !== undefined;
  const timed = (): ChainSequencer =>
    new ChainSequencer(
      {
        chain: new ChainState('s-t'),
        signer: UNSIGNED,
        checkpointEveryRecords: 1_000_000,
        checkpointEveryMs: 300,
        clock: wallClockNs, // the WAL's clock, what the audit_wal exporter passes
      },
      0,
    );
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('measures checkpointEveryMs on the monotonic clock: a step back of the wall clock does not stop it', async () => {
    // Review RS: on the wall clock (before), after a step back of an hour no batch carried its
    // time-triggered checkpoint for that hour.
    const s = timed();
    expect(checkpointAfter(s, 0)).toBe(false);
    await sleep(400);
    expect(checkpointAfter(s, 1)).toBe(true); // 400 ms > 300 ms
    expect(checkpointAfter(s, 2)).toBe(false);
    const wallNow = Date.now.bind(Date);
    const stepped = vi.spyOn(Date, 'now').mockImplementation(() => wallNow() - 3_600_000);
    try {
      await sleep(400);
      expect(checkpointAfter(s, 3)).toBe(true);
    } finally {
      stepped.mockRestore();
    }
  });

  it('restores when the last checkpoint was built with a rolled-back batch', () => {
    let nowMs = 0;
    const s = new ChainSequencer(
      {
        chain: new ChainState('s-r'),
        signer: UNSIGNED,
        checkpointEveryRecords: 1_000_000,
        checkpointEveryMs: 50,
        clock: () => 1n,
        elapsedMs: () => nowMs,
      },
      0,
    );
    expect(checkpointAfter(s, 0)).toBe(false);
    const before = s.snapshot();
    nowMs = 60;
    expect(checkpointAfter(s, 1)).toBe(true); // the batch fails: its checkpoint is rolled back
    s.restore(before);
    expect(checkpointAfter(s, 1)).toBe(true); // still due: 60 ms since the last durable one
  });
});
