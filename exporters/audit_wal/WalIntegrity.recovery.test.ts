/**
 * The second chain recovery at start (of the new stream started after damage) is checked: its problems
 * are logged and, if it is broken too, start fails with a typed error instead of chaining onto it.
 * recoverChain is replaced so that every call reports a broken chain (a WAL that changed under the
 * exporter between the two reads; not reachable with a real WAL since the new stream has no frame yet).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChainState } from '../../src/integrity/chain/ChainState.ts';
import type * as RecoverChainModule from '../../src/integrity/chain/recoverChain.ts';
import type { RecoveredChain } from '../../src/integrity/chain/recoverChain.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { Wal } from '../../src/wal/Wal.ts';
import { WalIntegrity } from './WalIntegrity.ts';

const calls: string[] = [];
vi.mock('../../src/integrity/chain/recoverChain.ts', async (importOriginal) => {
  const original = await importOriginal<typeof RecoverChainModule>();
  return {
    ...original,
    recoverChain: (_reader: unknown, streamId: string): RecoveredChain => {
      calls.push(streamId);
      return {
        chain: new ChainState(streamId),
        lastCheckpointSize: 0,
        replayed: 0,
        problems: [`damage seen for ${streamId}`],
        notes: [],
        broken: true,
        resumedAfterSeq: 0,
      };
    },
  };
});

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('WalIntegrity.start, second recovery', () => {
  it('logs the second recovery and fails start with a typed error when it is broken too', async () => {
    const dir = makeTempDir('otel-audit-integrity-second-');
    cleanups.push(dir.cleanup);
    const wal = Wal.open({ dir: dir.dir, syncPolicy: 'none', preallocate: 'off' });
    const errors: string[] = [];
    const logger = {
      info: (): void => undefined,
      warn: (): void => undefined,
      error: (m: string) => errors.push(m),
    };
    const chain = { streamId: 's', checkpointEveryRecords: 1000, checkpointEveryMs: 3_600_000 };
    const integrity = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', logger);
    try {
      expect(() => integrity.start(wal)).toThrow(
        expect.objectContaining({ code: 'WAL_CORRUPT', streamId: 's-r1', name: 'ChainRecoveryError' }),
      );
      expect(calls).toEqual(['s', 's-r1']);
      expect(errors).toEqual([
        'audit_wal: chain recovery: s: damage seen for s',
        'audit_wal: chain s lost records; continuing as new stream s-r1',
        'audit_wal: chain recovery: s-r1: damage seen for s-r1',
      ]);
      expect(() => integrity.sequencer).toThrow(/not started/);
    } finally {
      await integrity.stop(wal);
      await wal.close();
    }
  });
});
