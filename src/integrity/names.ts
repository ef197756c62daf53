/**
 * Every integrity attribute name otel-audit reads or writes, in one module.
 *
 * The vocabulary follows the OpenTelemetry Audit Logging SIG draft data
 * model — apeirora/opentelemetry-specification, `specification/audit/data-model.md`
 * at commit 195a6da49ec05276e54bb12f32458fb51b84d6b1 (status: Development) —
 * wherever the meaning matches, so that records chained or signed here carry
 * the same attributes a Collector `signing` processor or an audit SDK writes.
 * Names the draft does not define are otel-audit's own and say so below.
 * See docs/integrity.md, "Vocabulary".
 */

/** The draft revision these names follow. */
export const AUDIT_DRAFT_REVISION =
  'apeirora/opentelemetry-specification specification/audit/data-model.md @ 195a6da49ec05276e54bb12f32458fb51b84d6b1';

/**
 * Every attribute whose key starts with this prefix is excluded from every
 * signed or hashed payload (record, resource and scope attributes alike):
 * they carry the proofs themselves.
 */
export const INTEGRITY_ATTRIBUTE_PREFIX = 'audit.integrity.';

/** True when `key` names an integrity attribute (and is therefore excluded from payloads). */
export function isIntegrityAttribute(key: string): boolean {
  return key.startsWith(INTEGRITY_ATTRIBUTE_PREFIX);
}

// ---- record attributes: ordering (draft "Ordering Attributes") ----

/** int: monotonic counter within a stream; the first record SHOULD be 1 (draft). */
export const ATTR_SEQUENCE_NUMBER = 'audit.sequence.number';
/**
 * string: the IntegrityHash of the preceding record of the stream, lowercase
 * hex; absent on the genesis record. (The draft's attribute table says
 * "SHA-256 of the previous record's IntegrityHash" while its prose says "the
 * IntegrityHash of the immediately preceding record"; otel-audit follows the
 * prose: the value IS the predecessor's IntegrityHash.)
 */
export const ATTR_SEQUENCE_PREVIOUS_HASH = 'audit.sequence.previous_hash';
/** string: `audit.record.id` of the preceding record; absent on the genesis record (draft). */
export const ATTR_SEQUENCE_PREVIOUS_RECORD_ID = 'audit.sequence.previous_record_id';
/** string: opaque identifier scoping one hash chain (UUID v4 recommended by the draft). */
export const ATTR_SEQUENCE_STREAM_ID = 'audit.sequence.stream_id';
/** bool: `true` only on the last record of a gracefully closed stream (draft). */
export const ATTR_SEQUENCE_END = 'audit.sequence.end';

// ---- record attributes: integrity (draft "Integrity Attributes") ----

/** string: base64 (standard) signature or MAC over the canonical payload (draft). */
export const ATTR_INTEGRITY_VALUE = 'audit.integrity.value';
/** string: the tier that produced `audit.integrity.value` — one of `INTEGRITY_SIGNERS` (draft). */
export const ATTR_INTEGRITY_SIGNER = 'audit.integrity.signer';
/** string: the canonicalization applied before signing — `jcs` (draft). */
export const ATTR_INTEGRITY_CANONICALIZATION = 'audit.integrity.canonicalization';

export const INTEGRITY_SIGNERS = ['producer', 'collector'] as const;
export type IntegritySigner = (typeof INTEGRITY_SIGNERS)[number];
/** The only canonicalization the draft defines: RFC 8785 (JCS). */
export const CANONICALIZATION_JCS = 'jcs';

// ---- resource attributes (draft "Integrity Resource Attributes") ----

/** string, on the Resource: JWA / IANA algorithm of `audit.integrity.value` (`EdDSA`, `RS256`, `HMAC-SHA256`...). */
export const RESOURCE_ATTR_INTEGRITY_ALGORITHM = 'audit.integrity.algorithm';
/** string, on the Resource: certificate reference — `sha256:<hex of DER>` or base64 DER (draft). */
export const RESOURCE_ATTR_INTEGRITY_CERTIFICATE = 'audit.integrity.certificate';

// ---- otel-audit's own (not in the draft) ----

/**
 * otel-audit's own: string, the record's own IntegrityHash — lowercase hex
 * SHA-256 of its canonical projection (src/integrity/canonical/projection.ts).
 * The draft returns this hash in an `AuditReceipt`; otel-audit also carries
 * it on the record so a downstream reader can check the chain link without
 * recomputing it first.
 */
export const ATTR_INTEGRITY_HASH = 'audit.integrity.hash';
/**
 * otel-audit's own: string, the key id of the key that produced
 * `audit.integrity.value` — `sha256:<hex of SHA-256 of the SPKI DER>`
 * (src/integrity/sign/keyId.ts), so verifiers can pick the key during rotation.
 */
export const ATTR_INTEGRITY_KEY_ID = 'audit.integrity.key_id';
