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
withOneofCaseAccessors(() => {
  for (const t of allTypes(root)) void t.ctor; // builds every message class now, with our accessors
});

/**
 * protobufjs gives each decoded message with a oneof (here `AnyValue.value`) a virtual
 * property whose setter the generated decoder calls after every member it reads; that
 * setter `delete`s the 6 other member names from the message every time, which moves
 * each decoded AnyValue to a slow dictionary shape, and the getter scans `Object.keys`.
 * Measured (`decodeOtlpLogsProtobuf` on the receiver benchmark's 512-record requests,
 * CPU µs/record, interleaved runs): 4.4–5.1 with protobufjs's accessors, 3.1–3.2 with
 * these; ~7% of the durable receiver's CPU.
 *
 * The accessors are not configurable once built, so protobufjs's factories are swapped
 * (and restored: `util` is shared with other protobufjs users in the process) while our
 * message classes are built. Same semantics for the messages the decoder builds (its
 * generated code is the only writer): the name of the member read last is kept under a
 * symbol; when a different member is read after another (legal on the wire: the last
 * wins), the earlier one is deleted, as before, so a later occurrence of a message member
 * never merges into a stale one; setting `undefined` clears the member.
 */
function withOneofCaseAccessors(build: () => void): void {
  const util = protobuf.util as unknown as {
    oneOfGetter: (fieldNames: string[]) => () => string | undefined;
    oneOfSetter: (fieldNames: string[]) => (name: string | undefined) => void;
  };
  const { oneOfGetter, oneOfSetter } = util;
  const keys = new Map<string, symbol>();
  const keyOf = (fieldNames: string[]): symbol => {
    const id = fieldNames.join(',');
    let key = keys.get(id);
    if (key === undefined) keys.set(id, (key = Symbol(`oneof case of ${id}`)));
    return key;
  };
  util.oneOfGetter = (fieldNames) => {
    const key = keyOf(fieldNames);
    return function (this: Record<symbol, string | undefined>): string | undefined {
      return this[key];
    };
  };
  util.oneOfSetter = (fieldNames) => {
    const key = keyOf(fieldNames);
    const members = new Set(fieldNames);
    return function (this: Record<string | symbol, unknown>, name: string | undefined): void {
      const previous = this[key] as string | undefined;
      if (previous !== undefined && previous !== name) delete this[previous];
      if (name === undefined || !members.has(name)) {
        for (const member of fieldNames) delete this[member];
        this[key] = undefined;
      } else {
        this[key] = name;
      }
    };
  };
  try {
    build();
  } finally {
    util.oneOfGetter = oneOfGetter;
    util.oneOfSetter = oneOfSetter;
  }
}

function allTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace) out.push(...allTypes(nested));
  }
  return out;
}

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
