/** The record model: `AuditRecord`, its AnyValue model, views for processors, SDK conversion, WAL encoding. */
export {
  ANY_VALUE_DEPTH_CEILING,
  INT64_MAX,
  INT64_MIN,
  anyValueKind,
  isKeyValueList,
  kvlist,
} from './AnyValue.ts';
export type { AnyValue, AnyValueKind, KeyValue, KeyValueList } from './AnyValue.ts';
export { anyValueEquals, cloneAnyValue, cloneKeyValues, keyValuesEqual } from './anyValueOps.ts';
export {
  EMPTY_RESOURCE,
  EMPTY_SCOPE,
  createAuditRecord,
  createAuditResource,
  createAuditScope,
} from './AuditRecord.ts';
export type { AuditRecord, AuditResource, AuditScope } from './AuditRecord.ts';
export { validateAnyValue, validateRecord } from './validateRecord.ts';
export { DEFAULT_DECODE_LIMITS, resolveDecodeLimits } from './DecodeLimits.ts';
export type { DecodeLimitName, DecodeLimits } from './DecodeLimits.ts';
export { DecodeLimitError, RecordDecodeError, RecordInvalidError } from './errors.ts';
export type { MutableLogRecordView } from './MutableLogRecordView.ts';
export { AuditRecordView, auditRecordView } from './AuditRecordView.ts';
export { SdkLogRecordView, sdkLogRecordView } from './SdkLogRecordView.ts';
export { fromSdkLogRecord } from './fromSdkLogRecord.ts';
export { fromSdkAnyValue, fromSdkAttributes, toSdkAnyValue, toSdkAttributes } from './sdkAnyValue.ts';
export { RECORD_ENCODING_VERSION, WAL_DECODE_LIMITS, decodeRecord, encodeRecord } from './walCodec.ts';
export type { DecodeRecordOptions } from './walCodec.ts';
