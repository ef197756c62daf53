/**
 * What a record's own signature (`audit.integrity.value`, the `audit_sign`
 * processor with `per_record`, or a Collector `signing` processor) says with
 * the trusted keys. It needs nothing before the record in the WAL, so
 * `verifyWalParallel` has its workers check it (decoding the record, its
 * signing payload and an Ed25519 verification: ~60-70 µs per record, which on
 * the main thread bounded a per-record-signed WAL's verify to one core) and
 * the main thread reports their answer; `verifyWal` checks it in its one
 * thread, with the same function.
 */
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { collectorPayloadBytes } from '../../canonical/collectorPayload.ts';
import {
  ATTR_INTEGRITY_KEY_ID,
  ATTR_INTEGRITY_VALUE,
  ATTR_SEQUENCE_NUMBER,
  RESOURCE_ATTR_INTEGRITY_ALGORITHM,
} from '../../names.ts';
import { isSignatureAlgorithm, SIGNATURE_ALGORITHMS } from '../../sign/algorithms.ts';
import { decodeIntegrityValue } from '../../sign/integrityValue.ts';
import type { KeyRing } from '../../sign/KeyRing.ts';
import { attr } from './recordAttr.ts';

/**
 * - `trusted`: it verifies with a trusted key; `absent`: no `audit.integrity.value` string (nothing to check);
 * - `not-base64`, `forged` (verifies with no trusted key that serves its algorithm), `unknown-key` (names a key
 *   not trusted), `no-payload` (the record has no signing payload: `detail` says why).
 * `number` is the record's `audit.sequence.number`, `keyId` its `audit.integrity.key_id`, for the report.
 */
export interface RecordSignature {
  readonly verdict: 'trusted' | 'absent' | 'not-base64' | 'forged' | 'unknown-key' | 'no-payload';
  readonly number?: number;
  readonly keyId?: string;
  readonly detail?: string;
}

export function recordSignature(record: AuditRecord, keys: KeyRing): RecordSignature {
  const value = attr(record, ATTR_INTEGRITY_VALUE);
  if (typeof value !== 'string') return { verdict: 'absent' };
  const keyIdValue = attr(record, ATTR_INTEGRITY_KEY_ID);
  const keyId = typeof keyIdValue === 'string' ? keyIdValue : undefined;
  const numberValue = attr(record, ATTR_SEQUENCE_NUMBER);
  const about = {
    ...(typeof numberValue === 'bigint' ? { number: Number(numberValue) } : {}),
    ...(keyId === undefined ? {} : { keyId }),
  };
  // The algorithm rides on the resource (Collector signing processor) or is found by trying the key's own.
  const named = record.resource.attributes.find((kv) => kv.key === RESOURCE_ATTR_INTEGRITY_ALGORITHM)?.value;
  const algorithms =
    typeof named === 'string' && isSignatureAlgorithm(named) ? [named] : SIGNATURE_ALGORITHMS;
  let signature: Uint8Array;
  try {
    signature = decodeIntegrityValue(value);
  } catch {
    return { verdict: 'not-base64', ...about };
  }
  let data: Uint8Array;
  try {
    data = collectorPayloadBytes(record);
  } catch (err) {
    return { verdict: 'no-payload', detail: String(err), ...about };
  }
  for (const algorithm of algorithms) {
    const r = keys.verify({ algorithm, data, signature, ...(keyId === undefined ? {} : { keyId }) });
    if (r.ok) return { verdict: 'trusted', ...about };
    if (r.reason === 'unknown-key') return { verdict: 'unknown-key', ...about };
  }
  return { verdict: 'forged', ...about };
}
