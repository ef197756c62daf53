/**
 * Worker thread of `verifyWalParallel`: computes the record facts (decode,
 * canonical projection, SHA-256, leaf hash) of each batch of record payloads
 * it is sent, and sends them back packed, in the order received. Records are
 * decoded within the element budget it is started with (decodeForVerify.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packFacts, transferables, type PayloadBatch } from './factsBatch.ts';
import { factsOfPayload } from './recordFacts.ts';

/** What `verifyWalParallel` starts each worker with. */
export interface VerifyWorkerData {
  /** `decodeForVerify`'s element budget per record. */
  readonly recordElementsMax: number;
}

const port = parentPort;
if (port === null) throw new Error('verifyWorker.ts runs as a worker thread');
const { recordElementsMax } = workerData as VerifyWorkerData;
port.on('message', (batch: PayloadBatch) => {
  const packed = packFacts(batch, (payload) => factsOfPayload(payload, recordElementsMax));
  port.postMessage(packed, transferables(packed));
});
