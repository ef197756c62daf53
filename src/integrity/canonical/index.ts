/**
 * Canonical encodings of audit records: RFC 8785 (JCS), otel-audit's
 * whole-record projection (what the hash chain hashes) and the Collector
 * contrib `signing` processor's payload. See docs/integrity.md.
 */
export { canonicalJson, canonicalJsonBytes, JCS_DEPTH_MAX } from './jcs.ts';
export type { JcsOptions, JsonObject, JsonValue } from './jcs.ts';
export {
  PROJECTION_VERSION,
  canonicalRecordBytes,
  recordHash,
  recordHashHex,
  recordProjection,
} from './projection.ts';
export {
  COLLECTOR_PAYLOAD_BYTES_MAX,
  COLLECTOR_PAYLOAD_DEPTH_MAX,
  COLLECTOR_PAYLOAD_REVISION,
  collectorPayload,
  collectorPayloadBytes,
} from './collectorPayload.ts';
export { CanonicalEncodingError } from './CanonicalEncodingError.ts';
export type { CanonicalEncodingProblem } from './CanonicalEncodingError.ts';
