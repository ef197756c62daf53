/**
 * The differential check of the wire-level projection (wireProjection.ts)
 * against the old path: for a payload, either the wire path declines, or its
 * canonical bytes, hash and chain attributes are exactly those of
 * `decodeRecord` + `canonicalRecordBytes` / `recordHashHex` / `attr`, and
 * its element count is the one `decodeForVerify` enforces. Shared by the
 * wire projection tests.
 */
import { expect } from 'vitest';
import type { AnyValue } from '../../../record/AnyValue.ts';
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { decodeRecord } from '../../../record/walCodec.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_INTEGRITY_VALUE,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../../names.ts';
import { decodeForVerify, NotVerifiableError } from '../../verify/internal/decodeForVerify.ts';
import { canonicalRecordBytes, recordHashHex } from '../projection.ts';
import { WIRE_OTHER_VALUE, wireCanonicalBytes, wireRecordHash, type WireValue } from '../wireProjection.ts';
import { utf8 } from './vectors.ts';

export type OldPath = { bytes: Uint8Array; hash: string; record: AuditRecord } | { error: unknown };

/** decodeRecord, then the projection of the record (what the chain writer hashed). */
export function oldPath(payload: Uint8Array): OldPath {
  let record: AuditRecord;
  try {
    record = decodeRecord(payload);
  } catch (error) {
    return { error };
  }
  return { bytes: canonicalRecordBytes(record), hash: recordHashHex(record), record };
}

/** `attr` of the decoded record, as the wire writer reports it. */
export function expectedChainValue(record: AuditRecord, key: string): WireValue {
  const kv = record.attributes.find((a) => a.key === key);
  if (kv === undefined) return undefined;
  const v: AnyValue = kv.value;
  return typeof v === 'string' || typeof v === 'bigint' ? v : WIRE_OTHER_VALUE;
}

/**
 * Checks the invariant on `payload`; returns whether the wire path took it. With `elements`, also that
 * the wire path's element count is exactly the budget decodeForVerify needs (one less refuses it).
 */
export function checkWire(payload: Uint8Array, elements = false): boolean {
  const wire = wireCanonicalBytes(payload);
  const hashed = wireRecordHash(payload, Infinity);
  expect(hashed === undefined).toBe(wire === undefined);
  if (wire === undefined || hashed === undefined) return false;
  const old = oldPath(payload);
  if ('error' in old) throw new Error(`the wire path took a payload decoding rejects: ${String(old.error)}`);
  expect(utf8(wire)).toBe(utf8(old.bytes));
  expect(Buffer.from(wire).equals(Buffer.from(old.bytes))).toBe(true);
  expect(hashed.hashHex).toBe(old.hash);
  expect(hashed.streamId).toBe(expectedChainValue(old.record, ATTR_SEQUENCE_STREAM_ID));
  expect(hashed.number).toBe(expectedChainValue(old.record, ATTR_SEQUENCE_NUMBER));
  expect(hashed.previousHash).toBe(expectedChainValue(old.record, ATTR_SEQUENCE_PREVIOUS_HASH));
  expect(hashed.integrityHash).toBe(expectedChainValue(old.record, ATTR_INTEGRITY_HASH));
  expect(hashed.integrityValue).toBe(expectedChainValue(old.record, ATTR_INTEGRITY_VALUE));
  if (elements) {
    const n = hashed.elements;
    expect(decodeForVerify(payload, n)).toBeDefined();
    if (n > 1) expect(() => decodeForVerify(payload, n - 1)).toThrow(NotVerifiableError);
    expect(wireRecordHash(payload, n)?.hashHex).toBe(old.hash);
    expect(wireRecordHash(payload, n - 1)).toBeUndefined();
  }
  return true;
}
