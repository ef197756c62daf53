/**
 * ChainSequencer's rollback, as the WAL drives it: a batch takes a snapshot,
 * builds its records, and on failure restores the snapshot. Checkpoints of
 * earlier, durable batches may have been taken (published) in between.
 */
import { describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { ChainSequencer, UNSIGNED } from './ChainSequencer.ts';
import { ChainState } from './ChainState.ts';

function sequencer(): ChainSequencer {
  return new ChainSequencer(
    {
      chain: new ChainState('s-1'),
      signer: UNSIGNED,
      checkpointEveryRecords: 1,
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

  it('drops a failed batch checkpoint that was not taken yet', () => {
    const s = sequencer();
    build(s, 1);
    const beforeB = s.snapshot();
    build(s, 2);
    s.restore(beforeB);
    expect(s.takeBuilt().map((c) => c.checkpoint.treeSize)).toEqual([1]);
  });
});
