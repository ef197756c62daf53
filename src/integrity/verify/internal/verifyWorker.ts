/**
 * Worker thread of `verifyWalParallel`: computes the record facts (decode,
 * canonical projection, SHA-256, leaf hash) of each batch of record payloads
 * it is sent, and what the signature of each of its checkpoints says with the
 * trusted keys it was started with, and sends them back packed, in the order
 * received; it exits on
 * its own when sent `null` (no more batches). Records are
 * decoded within the element budget it is started with (decodeForVerify.ts).
 *
 * It loads no native addon, and must not: a worker thread that exits or is
 * terminated with an N-API addon loaded is a known cause of segfaults
 * (napi-rs/package-template#308, nodejs/node#43534), and verifyWalParallel
 * ends its workers after every run and replaces the ones that die. The
 * workers compute no CRC, yet used to load @node-rs/crc32 through
 * src/wal/format.ts (by way of src/wal/options.ts and chain/recoverChain.ts);
 * nothing in their import graph may import src/wal/ or another module that
 * loads an addon. verifyWorker.test.ts checks it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { decodeSignedCheckpoint } from '../../chain/checkpoint.ts';
import {
  checkpointSignature,
  keyRingOf,
  type CheckpointSignature,
  type KeyEntry,
} from './checkpointSignature.ts';
import { packFacts, transferables, type PayloadBatch } from './factsBatch.ts';
import { decodeForVerify } from './decodeForVerify.ts';
import { factsOfPayload, type RecordFacts } from './recordFacts.ts';
import { recordSignature, type RecordSignature } from './recordSignature.ts';

/** What `verifyWalParallel` sends a worker: a batch, or `null` when there are no more (then it exits). */
export type VerifyWorkerMessage = PayloadBatch | null;

/** What `verifyWalParallel` starts each worker with. */
export interface VerifyWorkerData {
  /** `decodeForVerify`'s element budget per record. */
  readonly recordElementsMax: number;
  /** The trusted keys checkpoint signatures are checked with (`verifyWal`'s `keys`). */
  readonly keys?: readonly KeyEntry[];
  /**
   * False: check no signature here (neither checkpoints' nor records' own); the main thread checks them
   * with the ring it was given. verifyWalParallel sets it for a KeyRing subclass, whose own `verify` (a
   * policy, revocation, a hardware key) a ring rebuilt here from `keys` would not apply.
   */
  readonly checkSignatures?: boolean;
}

const port = parentPort;
if (port === null) throw new Error('verifyWorker.ts runs as a worker thread');
const data = workerData as VerifyWorkerData;
const { recordElementsMax } = data;
const checkSignatures = data.checkSignatures !== false;
const keys = keyRingOf(data.keys ?? []);
/** What a checkpoint's signature says; undefined when it does not decode (the main thread reports that). */
const signatureOf = (payload: Uint8Array): CheckpointSignature | undefined => {
  try {
    return checkpointSignature(decodeSignedCheckpoint(payload), keys);
  } catch {
    return undefined;
  }
};
/**
 * The record the facts of the last payload were found by decoding (the wire projection, the usual path,
 * decodes none): its signature check uses it instead of decoding the payload a second time.
 */
let lastDecoded: { readonly payload: Uint8Array; readonly record: AuditRecord } | undefined;
const factsOf = (payload: Uint8Array): RecordFacts => {
  lastDecoded = undefined;
  return factsOfPayload(payload, recordElementsMax, (record) => (lastDecoded = { payload, record }));
};
/**
 * What a record's own signature says (recordSignature.ts); undefined without keys (the main thread checks
 * nothing then), and for a record that does not decode in full although its facts were found (the main
 * thread then decodes it and meets the same failure as it did before workers checked signatures).
 */
const recordSignatureOf =
  keys === undefined || !checkSignatures
    ? undefined
    : (payload: Uint8Array): RecordSignature | undefined => {
        let record = lastDecoded?.payload === payload ? lastDecoded.record : undefined;
        try {
          record ??= decodeForVerify(payload, recordElementsMax);
        } catch {
          return undefined;
        }
        return recordSignature(record, keys);
      };
port.on('message', (batch: VerifyWorkerMessage) => {
  if (batch === null) {
    // Closing the port lets the thread end on its own, after the answers already posted.
    port.close();
    return;
  }
  const packed = packFacts(batch, factsOf, checkSignatures ? signatureOf : undefined, recordSignatureOf);
  port.postMessage(packed, transferables(packed));
});
