/**
 * recoverChain when the stream's last checkpoint has a frontier that does not hash to its root (the
 * frontier is not signed: a writer bug or an edit): the chain cannot resume from it and replays the
 * stream from its first seq. Then `resumedAfterSeq` must be the stream's last record replayed — never the
 * checkpoint it did not resume from, nor a later frame of another stream — or firstSeq - 1 when none is
 * replayed (WalIntegrity compares it with what the WAL lost; a value too high hides a loss: a fork). And
 * the checkpoint's tree size still says how many records the stream had: fewer found is a loss.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import { Wal } from '../../wal/Wal.ts';
import { ChainSequencer, UNSIGNED } from './ChainSequencer.ts';
import { ChainState } from './ChainState.ts';
import { encodeSignedCheckpoint } from './checkpoint.ts';
import { recoverChain, type RecoveredChain } from './recoverChain.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-frontier-mismatch-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const MISMATCH = /^checkpoint at seq \d+: frontier does not match its root; replaying from the start$/;

/** One WAL session: appends `bodies` as records of `chain` (no checkpoint of their own); their seqs. */
async function appendChained(dir: string, chain: ChainState, bodies: readonly string[]): Promise<number[]> {
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  const sequencer = new ChainSequencer(
    { chain, signer: UNSIGNED, checkpointEveryRecords: 1_000, checkpointEveryMs: 3_600_000, clock: () => 1n },
    chain.size,
  );
  wal.setSequencer({ snapshot: () => sequencer.snapshot(), restore: (state) => sequencer.restore(state) });
  try {
    const first = await wal.appendDeferred(
      bodies.map((b) => sequencer.deferredRecord(createAuditRecord({ body: b }), 1n, 512)),
    );
    return bodies.map((_, i) => first + i); // no checkpoint frame among them
  } finally {
    await wal.close();
  }
}

/**
 * One WAL session: a checkpoint of `chain` as it is, its root and size right but one frontier hash
 * changed (`good`: as written); its seq.
 */
async function appendCheckpoint(dir: string, chain: ChainState, good = false): Promise<number> {
  const frontier = chain.frontier().map((h) => Uint8Array.from(h));
  const first = frontier[0];
  if (first === undefined) throw new Error('a checkpoint of an empty chain');
  if (!good) first.set([(first[0] ?? 0) ^ 0x01]);
  const payload = encodeSignedCheckpoint({
    checkpoint: {
      streamId: chain.streamId,
      treeSize: chain.size,
      rootHash: chain.root(),
      chainHead: chain.head,
      timeUnixNano: 1n,
    },
    algorithm: UNSIGNED.algorithm,
    keyId: UNSIGNED.keyId,
    signature: new Uint8Array(0),
    frontier,
  });
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  try {
    return await wal.append(payload, { type: FrameType.CHECKPOINT });
  } finally {
    await wal.close();
  }
}

function recovered(dir: string, streamId: string, firstSeq?: number): RecoveredChain {
  const { reader } = openWalReadOnly({ dir, verify: 'full' });
  return recoverChain(reader, streamId, firstSeq === undefined ? {} : { firstSeq });
}

describe('recoverChain: the last checkpoint’s frontier does not match its root', () => {
  it('replays the stream from the start; resumedAfterSeq is its last record, after the checkpoint', async () => {
    const dir = path.join(root, 'records-after');
    const a = new ChainState('a');
    await appendChained(dir, a, ['a1', 'a2', 'a3']);
    await appendCheckpoint(dir, a);
    const [a4] = await appendChained(dir, a, ['a4']);
    await appendChained(dir, new ChainState('b'), ['b1']); // another stream, last in the WAL
    const r = recovered(dir, 'a');
    expect(r.problems).toEqual([expect.stringMatching(MISMATCH)]);
    expect(r).toMatchObject({ broken: false, replayed: 4, lastCheckpointSize: 0, resumedAfterSeq: a4 });
    expect(r.chain.size).toBe(4);
    expect(Buffer.from(r.chain.head ?? []).toString('hex')).toBe(Buffer.from(a.head ?? []).toString('hex'));
  });

  it('is the last record before the checkpoint when none follows it, not the checkpoint nor another stream', async () => {
    const dir = path.join(root, 'checkpoint-last');
    const a = new ChainState('a');
    const seqs = await appendChained(dir, a, ['a1', 'a2', 'a3']);
    const cpSeq = await appendCheckpoint(dir, a);
    await appendChained(dir, new ChainState('b'), ['b1', 'b2']);
    const r = recovered(dir, 'a');
    expect(r.problems).toEqual([expect.stringMatching(MISMATCH)]);
    expect(r).toMatchObject({ broken: false, replayed: 3, lastCheckpointSize: 0 });
    expect(r.resumedAfterSeq).toBe(seqs[2]);
    expect(r.resumedAfterSeq).toBeLessThan(cpSeq);
    // The same WAL with the checkpoint as written resumes from it, after it.
    const good = path.join(root, 'checkpoint-last-good');
    const g = new ChainState('a');
    await appendChained(good, g, ['a1', 'a2', 'a3']);
    const goodCpSeq = await appendCheckpoint(good, g, true);
    expect(recovered(good, 'a')).toMatchObject({
      replayed: 0,
      lastCheckpointSize: 3,
      resumedAfterSeq: goodCpSeq,
    });
  });

  it('counts from firstSeq: the stream’s records before it are not read, firstSeq - 1 without any after it', async () => {
    const dir = path.join(root, 'first-seq');
    const a = new ChainState('a');
    await appendChained(dir, new ChainState('x'), ['x1', 'x2']);
    const [a1, a2] = await appendChained(dir, a, ['a1', 'a2']);
    await appendCheckpoint(dir, a);
    const r = recovered(dir, 'a', a1);
    expect(r).toMatchObject({ broken: false, replayed: 2, lastCheckpointSize: 0, resumedAfterSeq: a2 });
    // A stream with no frame from its firstSeq on: nothing replayed, nothing broken.
    const none = recovered(dir, 'z', 2);
    expect(none).toMatchObject({ broken: false, replayed: 0, resumedAfterSeq: 1 });
  });

  // Was a defect: the branch dropped the checkpoint altogether. With the stream's records before it gone
  // (the WAL's first segment removed: recovery cannot see a gap before its oldest segment) and none after
  // it, the chain resumed at record 0 (not broken, resumedAfterSeq = firstSeq - 1, no loss in the WAL's
  // report): new records took numbers 1..3, which the checkpoint covers — a fork.
  it('is broken when the checkpoint covers more records than the replay found (the chain would reuse their numbers)', async () => {
    const dir = path.join(root, 'records-gone');
    const a = new ChainState('a');
    await appendChained(dir, a, ['a1', 'a2', 'a3']);
    const cpSeq = await appendCheckpoint(dir, a);
    const segments = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.wal'))
      .sort();
    expect(segments.length).toBeGreaterThan(1); // a1..a3 in the first segment, the checkpoint in a later one
    fs.rmSync(path.join(dir, segments[0] as string));
    const { report } = openWalReadOnly({ dir, verify: 'full' });
    expect(report.corruptions).toEqual([]); // the WAL cannot tell: only the chain's checkpoint can
    const r = recovered(dir, 'a');
    expect(r.broken).toBe(true);
    expect(r.chain.size).toBe(0);
    expect(r.resumedAfterSeq).toBe(0); // firstSeq - 1: nothing replayed, not the checkpoint's seq
    expect(r.problems).toEqual([
      expect.stringMatching(MISMATCH),
      `checkpoint at seq ${cpSeq} covers 3 records of stream a but only 0 were found before it: records of the stream are missing, so the chain is not resumed (new records would take their numbers)`,
    ]);
  });
});
