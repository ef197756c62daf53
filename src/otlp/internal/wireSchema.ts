/**
 * Scan tables for `scanWire`, derived from the protobufjs reflection types
 * (one source of truth for field numbers and types): per message, each known
 * field's expected wire type, what it holds, and which limits apply.
 */
import protobuf from 'protobufjs/light.js';
import { AnyValueType, LogRecordType, type ProtoType } from './otlpRoot.ts';

export type FieldKind = 'message' | 'string' | 'bytes' | 'bytesValue' | 'scalar';

export interface ScanField {
  readonly name: string;
  readonly wireType: number;
  readonly kind: FieldKind;
  readonly message: ScanMessage | undefined;
  /** Index into the frame's per-field occurrence counters; -1 when not repeated. */
  readonly repeatedSlot: number;
  /** The limit on this repeated field's entries in one message (attributes, array and kvlist values). */
  readonly countLimit: 'attributeCountMax' | 'arrayLengthMax' | undefined;
}

export interface ScanMessage {
  /** Indexed by field number (OTLP field numbers are small). */
  readonly fields: readonly (ScanField | undefined)[];
  readonly repeatedCount: number;
  readonly isAnyValue: boolean;
  readonly isLogRecord: boolean;
}

export function scanMessageOf(type: ProtoType): ScanMessage {
  return build(type, new Map());
}

function build(type: ProtoType, memo: Map<ProtoType, ScanMessage>): ScanMessage {
  const existing = memo.get(type);
  if (existing !== undefined) return existing;
  const fields: (ScanField | undefined)[] = [];
  const message: { -readonly [K in keyof ScanMessage]: ScanMessage[K] } = {
    fields,
    repeatedCount: 0,
    isAnyValue: type === AnyValueType,
    isLogRecord: type === LogRecordType,
  };
  memo.set(type, message); // before recursing: AnyValue and ArrayValue refer to each other
  let repeatedCount = 0;
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    const child = resolved instanceof protobuf.Type ? build(resolved, memo) : undefined;
    const basic = (protobuf.types.basic as Readonly<Record<string, number | undefined>>)[field.type];
    const kind: FieldKind =
      child !== undefined
        ? 'message'
        : field.type === 'string'
          ? 'string'
          : field.type === 'bytes'
            ? type === AnyValueType
              ? 'bytesValue'
              : 'bytes'
            : 'scalar';
    fields[field.id] = {
      name: field.name,
      wireType: child !== undefined ? 2 : (basic ?? 0),
      kind,
      message: child,
      repeatedSlot: field.repeated ? repeatedCount++ : -1,
      countLimit: countLimitOf(type, field),
    };
  }
  message.repeatedCount = repeatedCount;
  return message;
}

/** `attributes` lists (resource, scope, record) and the entries of an ArrayValue / KeyValueList. */
function countLimitOf(
  type: ProtoType,
  field: protobuf.Field,
): 'attributeCountMax' | 'arrayLengthMax' | undefined {
  if (!field.repeated) return undefined;
  if (field.name === 'attributes') return 'attributeCountMax';
  const owner = type.fullName;
  if (
    field.name === 'values' &&
    (owner === '.opentelemetry.proto.common.v1.ArrayValue' ||
      owner === '.opentelemetry.proto.common.v1.KeyValueList')
  )
    return 'arrayLengthMax';
  return undefined;
}
