/**
 * Test helper: appends a chain `streamId` of `count` records and its
 * checkpoint (unsigned) to the WAL in `dir`, in one WAL session with one
 * sequencer — as `audit_wal` with `audit_chain` and no signer writes them.
 */
import { createAuditRecord } from '../../../record/AuditRecord.ts';
import { Wal } from '../../../wal/Wal.ts';
import { ChainSequencer, UNSIGNED } from '../../chain/ChainSequencer.ts';
import { ChainState } from '../../chain/ChainState.ts';

export async function writeUnsignedStream(dir: string, streamId: string, count: number): Promise<void> {
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  const sequencer = new ChainSequencer(
    {
      chain: new ChainState(streamId),
      signer: UNSIGNED,
      checkpointEveryRecords: 1000,
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
