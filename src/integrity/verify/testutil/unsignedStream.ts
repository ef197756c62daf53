/**
 * Test helper: appends a chain `streamId` of `count` records and its
 * checkpoint to the WAL in `dir`, in one WAL session with one sequencer — as
 * `audit_wal` with `audit_chain` writes them: unsigned (no signer) by
 * `writeUnsignedStream`, or with `writeStream`'s signer and checkpoint interval.
 */
import { createAuditRecord } from '../../../record/AuditRecord.ts';
import { Wal } from '../../../wal/Wal.ts';
import { ChainSequencer, UNSIGNED, type ChainSequencerOptions } from '../../chain/ChainSequencer.ts';
import { ChainState } from '../../chain/ChainState.ts';

export interface StreamOptions {
  /** Default `UNSIGNED`. */
  readonly signer?: ChainSequencerOptions['signer'];
  /** Default 1000. */
  readonly checkpointEveryRecords?: number;
}

export async function writeStream(
  dir: string,
  streamId: string,
  count: number,
  o: StreamOptions = {},
): Promise<void> {
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  const sequencer = new ChainSequencer(
    {
      chain: new ChainState(streamId),
      signer: o.signer ?? UNSIGNED,
      checkpointEveryRecords: o.checkpointEveryRecords ?? 1000,
      checkpointEveryMs: 3_600_000,
      clock: () => 1n,
    },
    0,
  );
  wal.setSequencer(sequencer);
  try {
    await wal.appendDeferred(
      Array.from({ length: count }, (_, i) =>
        sequencer.deferredRecord(createAuditRecord({ body: `${streamId} ${i}` }), BigInt(i + 1), 256),
      ),
    );
    await wal.appendDeferred([sequencer.deferredCheckpoint()]);
  } finally {
    await wal.close();
  }
}

export function writeUnsignedStream(dir: string, streamId: string, count: number): Promise<void> {
  return writeStream(dir, streamId, count);
}
