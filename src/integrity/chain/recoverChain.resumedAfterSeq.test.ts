/**
 * recoverChain's `resumedAfterSeq`: the WAL seq the chain resumes after (its last record replayed, else
 * the checkpoint it resumed from, else `firstSeq - 1`). WalIntegrity compares it with what the WAL lost:
 * a value too high hides a loss of the stream's records (the chain would resume and fork), so it must be
 * the stream's own last frame, never a later frame of another stream or an unchained record.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import { Wal } from '../../wal/Wal.ts';
import { ChainSequencer, UNSIGNED } from './ChainSequencer.ts';
import { ChainState } from './ChainState.ts';
import { recoverChain } from './recoverChain.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-resumed-after-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const dir = path.join(root, 'wal');

/**
 * Appends `bodies` as records of chain `id` in one WAL session: a checkpoint when 3 records follow the
 * last one (of tree size `checkpointedSize`).
 */
async function appendChained(
  id: string,
  bodies: readonly string[],
  chain: ChainState,
  checkpointedSize = 0,
): Promise<void> {
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  const sequencer = new ChainSequencer(
    { chain, signer: UNSIGNED, checkpointEveryRecords: 3, checkpointEveryMs: 3_600_000, clock: () => 1n },
    checkpointedSize,
  );
  wal.setSequencer({ snapshot: () => sequencer.snapshot(), restore: (state) => sequencer.restore(state) });
  try {
    await wal.appendDeferred(
      bodies.map((b) => sequencer.deferredRecord(createAuditRecord({ body: `${id} ${b}` }), 1n, 512)),
    );
  } finally {
    await wal.close();
  }
}

/** WAL seq and type of every frame, in order. */
let frames: Array<{ seq: number; type: number }> = [];

beforeAll(async () => {
  const a = new ChainState('a');
  await appendChained('a', ['1', '2', '3'], a); // a1 a2 a3 checkpoint(a, 3)
  await appendChained('c', ['1', '2', '3'], new ChainState('c')); // c1 c2 c3 checkpoint(c, 3): c ends on it
  await appendChained('a', ['4'], a, 3); // a4: a's last record, after c's checkpoint
  const plain = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  try {
    await plain.append(encodeRecord(createAuditRecord({ body: 'unchained' })));
  } finally {
    await plain.close();
  }
  await appendChained('b', ['1'], new ChainState('b')); // b1: another stream, last in the WAL
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  try {
    frames = [...wal.reader().records()].map((f) => ({ seq: f.seq, type: f.type }));
  } finally {
    await wal.close();
  }
});

function recovered(streamId: string, firstSeq?: number): ReturnType<typeof recoverChain> {
  const { reader } = openWalReadOnly({ dir, verify: 'full' });
  return recoverChain(reader, streamId, firstSeq === undefined ? {} : { firstSeq });
}

describe('recoverChain resumedAfterSeq', () => {
  it("is the stream's last record replayed, not a later frame of another stream or an unchained record", () => {
    // a1 a2 a3 cp(a) c1 c2 c3 cp(c) a4 unchained b1
    expect(frames.map((f) => f.type)).toEqual([
      ...[FrameType.RECORD, FrameType.RECORD, FrameType.RECORD, FrameType.CHECKPOINT],
      ...[FrameType.RECORD, FrameType.RECORD, FrameType.RECORD, FrameType.CHECKPOINT],
      ...[FrameType.RECORD, FrameType.RECORD, FrameType.RECORD],
    ]);
    const seqs = frames.map((f) => f.seq);
    const r = recovered('a');
    expect(r).toMatchObject({ broken: false, replayed: 1, lastCheckpointSize: 3 });
    expect(r.resumedAfterSeq).toBe(seqs[8]); // a4
    expect(recovered('b').resumedAfterSeq).toBe(seqs[10]); // b1
  });

  it('is the checkpoint resumed from when no record of the stream follows it', () => {
    const r = recovered('c');
    expect(r).toMatchObject({ broken: false, replayed: 0, lastCheckpointSize: 3 });
    expect(r.resumedAfterSeq).toBe(frames[7]?.seq); // cp(c)
  });

  it('is firstSeq - 1 for a stream with nothing in the WAL', () => {
    expect(recovered('none').resumedAfterSeq).toBe(0);
    expect(recovered('none', 5).resumedAfterSeq).toBe(4);
  });
});
