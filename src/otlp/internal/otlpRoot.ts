/**
 * The protobufjs reflection root built once from the static descriptor, and
 * its message types. 64-bit fields decode to `Long` objects (protobufjs uses
 * the `long` package it depends on); without it they would decode to lossy
 * numbers, so module load fails fast if it is missing.
 */
import protobuf from 'protobufjs/light.js';
import { assert } from '../../errors.ts';
import { OTLP_LOGS_DESCRIPTOR } from './otlpDescriptor.ts';

export type ProtoType = protobuf.Type;

assert(
  protobuf.util.Long !== null && protobuf.util.Long !== undefined,
  'protobufjs must decode 64-bit integers as Long',
);

const root = protobuf.Root.fromJSON(OTLP_LOGS_DESCRIPTOR);
root.resolveAll();

function type(name: string): protobuf.Type {
  return root.lookupType(name);
}

export const AnyValueType = type('opentelemetry.proto.common.v1.AnyValue');
export const ResourceType = type('opentelemetry.proto.resource.v1.Resource');
export const InstrumentationScopeType = type('opentelemetry.proto.common.v1.InstrumentationScope');
export const LogRecordType = type('opentelemetry.proto.logs.v1.LogRecord');
export const LogsDataType = type('opentelemetry.proto.logs.v1.LogsData');
export const ExportLogsServiceRequestType = type(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);
export const ExportLogsServiceResponseType = type(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
);

/** protobufjs's nesting limit for encode/decode (100, as protoc's CodedInputStream). */
export const PROTOBUFJS_RECURSION_LIMIT: number = protobuf.Reader.recursionLimit;
export const { Writer, Reader } = protobuf;
