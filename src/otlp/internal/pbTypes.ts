/**
 * The shapes protobufjs reads and writes for the OTLP messages (property
 * names from otlpDescriptor.ts). Decoded messages carry proto3 defaults on
 * their prototype; everything is optional so the same types describe the
 * plain objects the encoder is given.
 */

/** A 64-bit integer as two 32-bit halves: a `Long` when decoded, `{ low, high }` when encoding. */
export interface LongBits {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

export interface PbAnyValue {
  /** The oneof discriminator: the name of the set field (decoded messages only). */
  readonly value?: string | undefined;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongBits | number;
  doubleValue?: number;
  arrayValue?: PbArrayValue | null;
  kvlistValue?: PbKeyValueList | null;
  bytesValue?: Uint8Array;
}

export interface PbArrayValue {
  values?: PbAnyValue[];
}

export interface PbKeyValue {
  key?: string;
  value?: PbAnyValue | null;
}

export interface PbKeyValueList {
  values?: PbKeyValue[];
}

export interface PbResource {
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
}

export interface PbInstrumentationScope {
  name?: string;
  version?: string;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
}

export interface PbLogRecord {
  timeUnixNano?: LongBits | number;
  severityNumber?: number;
  severityText?: string;
  body?: PbAnyValue | null;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  observedTimeUnixNano?: LongBits | number;
  eventName?: string;
}

export interface PbScopeLogs {
  scope?: PbInstrumentationScope | null;
  logRecords?: PbLogRecord[];
  schemaUrl?: string;
}

export interface PbResourceLogs {
  resource?: PbResource | null;
  scopeLogs?: PbScopeLogs[];
  schemaUrl?: string;
}

/** `ExportLogsServiceRequest` and `LogsData` (wire-identical). */
export interface PbLogsData {
  resourceLogs?: PbResourceLogs[];
}
