/**
 * Per-record signing rates for the integrity benchmark: `signBytes` over
 * the Collector `signing` processor payload (`collectorPayloadBytes`) of
 * distinct records, for each algorithm, and the cost of building that
 * payload. Each figure runs for about `durationMs` after a short warm-up.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { collectorPayloadBytes } from '../../src/integrity/canonical/collectorPayload.ts';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from '../../src/integrity/sign/algorithms.ts';
import {
  generateHmacKey,
  generateKeyPair,
  RSA_MODULUS_BITS_DEFAULT,
} from '../../src/integrity/sign/generateKeyPair.ts';
import { signBytes } from '../../src/integrity/sign/signBytes.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { msSince } from './stats.ts';

export interface SigningRates {
  readonly payloadRecordsPerSecond: number;
  readonly payloadBytesAvg: number;
  readonly signRecordsPerSecond: Record<SignatureAlgorithm, number>;
  readonly rsaModulusBits: number;
}

export function measureSigning(records: readonly AuditRecord[], durationMs: number): SigningRates {
  const payloads: Uint8Array[] = [];
  const payloadRate = rate(durationMs, (i) => {
    const payload = collectorPayloadBytes(records[i % records.length] as AuditRecord);
    if (payloads.length < records.length) payloads.push(payload);
  });
  const distinct = payloads.slice(0, records.length);
  const payloadBytesAvg = distinct.reduce((n, p) => n + p.length, 0) / distinct.length;
  const signRecordsPerSecond = {} as Record<SignatureAlgorithm, number>;
  for (const algorithm of SIGNATURE_ALGORITHMS) {
    const key = keyFor(algorithm);
    signRecordsPerSecond[algorithm] = rate(
      durationMs,
      (i) => void signBytes(algorithm, key, distinct[i % distinct.length] as Uint8Array),
    );
  }
  return {
    payloadRecordsPerSecond: payloadRate,
    payloadBytesAvg,
    signRecordsPerSecond,
    rsaModulusBits: RSA_MODULUS_BITS_DEFAULT,
  };
}

function keyFor(algorithm: SignatureAlgorithm): KeyObject | Uint8Array {
  if (algorithm === 'HMAC-SHA256') return Buffer.from(generateHmacKey().keyBase64, 'base64');
  return createPrivateKey(generateKeyPair(algorithm).privateKeyPem);
}

/** Operations per second of `op(i)`: a warm-up of durationMs / 10, then batches of 64 until durationMs passed. */
function rate(durationMs: number, op: (i: number) => void): number {
  let i = 0;
  const warmUp = process.hrtime.bigint();
  while (msSince(warmUp) < durationMs / 10) for (let j = 0; j < 64; j++) op(i++);
  const start = process.hrtime.bigint();
  let n = 0;
  for (;;) {
    const elapsed = msSince(start);
    if (elapsed >= durationMs) return (n * 1000) / elapsed;
    for (let j = 0; j < 64; j++) op(i++);
    n += 64;
  }
}
