/**
 * Compatibility with the Collector contrib `signing` processor:
 * testdata/integrity/vectors/collector-signing.json — a record, the exact
 * payload the processor signs, and audit.integrity.value for every
 * algorithm with fixed TEST keys (independently checked with OpenSSL when
 * the file was written). Recomputes the payload and every deterministic
 * signature, verifies all of them, and verifies the signed record the way a
 * verifier of Collector output would: from its attributes alone.
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { decodeOtlpLogsJson } from '../../otlp/jsonCodec.ts';
import { collectorPayloadBytes } from '../canonical/collectorPayload.ts';
import { readVectorFile, loadVectorJson, utf8 } from '../canonical/testutil/vectors.ts';
import {
  ATTR_INTEGRITY_VALUE,
  RESOURCE_ATTR_INTEGRITY_ALGORITHM,
  RESOURCE_ATTR_INTEGRITY_CERTIFICATE,
} from '../names.ts';
import { parseSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.ts';
import { decodeIntegrityValue, encodeIntegrityValue } from './integrityValue.ts';
import { certificateRef, keyId } from './keyId.ts';
import { KeyRing } from './KeyRing.ts';
import { loadCertificate, loadHmacKey, loadPrivateKey } from './loadKeys.ts';
import { signBytes, verifyBytes } from './signBytes.ts';

interface SignatureVector {
  algorithm: SignatureAlgorithm;
  privateKeyFile?: string;
  certificateFile?: string;
  hmacKeyBase64?: string;
  keyId: string;
  certificateFingerprint?: string;
  certificateFull?: string;
  deterministic: boolean;
  integrityValue: string;
}

interface CollectorVectors {
  record: unknown;
  payload: string;
  payloadSha256: string;
  signatures: SignatureVector[];
  signedRecord: unknown;
  payloadCases: { name: string; logRecord: unknown; payload: string }[];
}

const V = loadVectorJson<CollectorVectors>('collector-signing.json');
const decodeOne = (otlpJson: unknown): AuditRecord => {
  const records = decodeOtlpLogsJson(JSON.stringify(otlpJson));
  expect(records).toHaveLength(1);
  return records[0] as AuditRecord;
};
const keyOf = (v: SignatureVector) =>
  v.hmacKeyBase64 !== undefined
    ? loadHmacKey({ value: v.hmacKeyBase64 })
    : loadPrivateKey({ value: readVectorFile(v.privateKeyFile as string) }, { algorithm: v.algorithm });

describe('collector-signing.json', () => {
  const payload = collectorPayloadBytes(decodeOne(V.record));

  it('payload bytes', () => {
    expect(utf8(payload)).toBe(V.payload);
    expect(createHash('sha256').update(payload).digest('hex')).toBe(V.payloadSha256);
  });

  for (const v of V.signatures) {
    it(`${v.algorithm} audit.integrity.value`, () => {
      const key = keyOf(v);
      expect(keyId(key)).toBe(v.keyId);
      if (v.deterministic)
        expect(encodeIntegrityValue(signBytes(v.algorithm, key, payload))).toBe(v.integrityValue);
      expect(verifyBytes(v.algorithm, key, payload, decodeIntegrityValue(v.integrityValue))).toBe(true);
      const tampered = Uint8Array.from(payload);
      tampered[10] = (tampered[10] as number) ^ 1;
      expect(verifyBytes(v.algorithm, key, tampered, decodeIntegrityValue(v.integrityValue))).toBe(false);
      if (v.certificateFile !== undefined) {
        const cert = loadCertificate({ value: readVectorFile(v.certificateFile) });
        expect(certificateRef(cert, 'fingerprint')).toBe(v.certificateFingerprint);
        if (v.certificateFull !== undefined) expect(certificateRef(cert, 'full')).toBe(v.certificateFull);
        expect(keyId(cert.publicKey)).toBe(v.keyId);
      }
    });
  }

  it('verifies the signed record from its own attributes with a key ring of certificates', () => {
    const ring = new KeyRing();
    for (const v of V.signatures) {
      if (v.certificateFile !== undefined)
        ring.add(loadCertificate({ value: readVectorFile(v.certificateFile) }));
    }
    const record = decodeOne(V.signedRecord);
    const resourceAttr = (key: string) => record.resource.attributes.find((kv) => kv.key === key)?.value;
    const algorithm = parseSignatureAlgorithm(resourceAttr(RESOURCE_ATTR_INTEGRITY_ALGORITHM) as string);
    const value = record.attributes.find((kv) => kv.key === ATTR_INTEGRITY_VALUE)?.value as string;
    // the resource attributes the processor added and the signature itself are outside the payload
    expect(utf8(collectorPayloadBytes(record))).toBe(V.payload);
    const result = ring.verify({
      algorithm,
      data: collectorPayloadBytes(record),
      signature: decodeIntegrityValue(value),
      certificateRef: resourceAttr(RESOURCE_ATTR_INTEGRITY_CERTIFICATE) as string,
    });
    expect(result).toEqual({ ok: true, keyId: V.signatures[0]?.keyId });
  });

  for (const c of V.payloadCases) {
    it(`payload case: ${c.name}`, () => {
      const record = decodeOne({
        resourceLogs: [{ resource: {}, scopeLogs: [{ scope: {}, logRecords: [c.logRecord] }] }],
      });
      expect(utf8(collectorPayloadBytes(record))).toBe(c.payload);
    });
  }
});
