/**
 * Builds a large chained WAL fast, for the verify benchmark: `Wal` with
 * `syncPolicy: 'none'` (NOT durable — nothing here needs to survive a power
 * loss; the benchmark measures reading it back) and preallocation off, fed
 * with `appendDeferred` through a `ChainSequencer` exactly as `audit_wal`
 * does with `audit_chain` + `audit_sign`: every record is chained (hash,
 * link, Merkle leaf) at write time and a checkpoint signed with Ed25519
 * follows every `checkpointEveryRecords` records. Appends batches until the
 * segment files hold at least `targetBytes`.
 */
import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ChainSequencer } from '../../src/integrity/chain/ChainSequencer.ts';
import { ChainState } from '../../src/integrity/chain/ChainState.ts';
import { signBytes } from '../../src/integrity/sign/signBytes.ts';
import { keyId } from '../../src/integrity/sign/keyId.ts';
import { Wal } from '../../src/wal/Wal.ts';
import type { AuditEvent } from './auditEvents.ts';
import { auditRecordOf } from './integrityRecords.ts';
import { msSince } from './stats.ts';

export interface BigWalOptions {
  readonly dir: string;
  readonly targetBytes: number;
  readonly privateKeyPem: string;
  readonly events: readonly AuditEvent[];
  readonly checkpointEveryRecords: number;
  readonly onProgress?: (records: number, bytes: number) => void;
}

export interface BigWal {
  readonly records: number;
  readonly bytes: number;
  readonly segments: number;
  readonly buildMs: number;
}

const BATCH_RECORDS = 1024;
const CHECK_EVERY_BATCHES = 64;

export async function buildBigChainedWal(o: BigWalOptions): Promise<BigWal> {
  const key = createPrivateKey(o.privateKeyPem);
  const wal = Wal.open({ dir: o.dir, syncPolicy: 'none', preallocate: 'off', queueRecordsMax: 1_000_000 });
  const sequencer = new ChainSequencer(
    {
      chain: new ChainState('bench-verify'),
      signer: { algorithm: 'EdDSA', keyId: keyId(key), sign: (data) => signBytes('EdDSA', key, data) },
      checkpointEveryRecords: o.checkpointEveryRecords,
      checkpointEveryMs: 24 * 3_600_000,
      clock: () => BigInt(Date.now()) * 1_000_000n,
    },
    0,
  );
  wal.setSequencer(sequencer);
  const start = process.hrtime.bigint();
  let records = 0;
  let bytes = 0;
  try {
    for (let batch = 0; bytes < o.targetBytes; batch++) {
      const deferred = Array.from({ length: BATCH_RECORDS }, (_, j) =>
        sequencer.deferredRecord(auditRecordOf(o.events, records + j), undefined, 1024),
      );
      await wal.appendDeferred(deferred);
      records += BATCH_RECORDS;
      if (batch % CHECK_EVERY_BATCHES === 0) {
        bytes = directoryBytes(o.dir);
        o.onProgress?.(records, bytes);
      }
    }
    await wal.appendDeferred([sequencer.deferredCheckpoint()]); // the tail is covered too
  } finally {
    await wal.close();
  }
  const segments = fs.readdirSync(o.dir).filter((f) => f.endsWith('.wal')).length;
  return { records, bytes: directoryBytes(o.dir), segments, buildMs: msSince(start) };
}

export function directoryBytes(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) total += fs.statSync(path.join(dir, name)).size;
  return total;
}
