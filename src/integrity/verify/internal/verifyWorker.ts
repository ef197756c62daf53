/**
 * Worker thread of `verifyWalParallel`: computes the record facts (decode,
 * canonical projection, SHA-256, leaf hash) of each batch of record payloads
 * it is sent, and sends them back packed, in the order received.
 */
import { parentPort } from 'node:worker_threads';
import { packFacts, transferables, type PayloadBatch } from './factsBatch.ts';
import { factsOfPayload } from './recordFacts.ts';

const port = parentPort;
if (port === null) throw new Error('verifyWorker.ts runs as a worker thread');
port.on('message', (batch: PayloadBatch) => {
  const packed = packFacts(batch, factsOfPayload);
  port.postMessage(packed, transferables(packed));
});
