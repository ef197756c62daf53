/** OTLP logs codecs: protobuf and JSON `ExportLogsServiceRequest` ⇄ `AuditRecord[]`. */
export { encodeOtlpLogsProtobuf, decodeOtlpLogsProtobuf } from './protobufCodec.ts';
export { encodeOtlpLogsJson, decodeOtlpLogsJson } from './jsonCodec.ts';
export { OtlpDecodeError } from './OtlpDecodeError.ts';
export type { OtlpDecodeOptions } from './OtlpDecodeOptions.ts';
