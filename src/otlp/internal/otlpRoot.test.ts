import protobuf from 'protobufjs/light.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeOtlpLogsProtobuf } from '../protobufCodec.ts';
import { concat, len, tag, varint } from '../testutil/wire.ts';
import { AnyValueType } from './otlpRoot.ts';
import type { PbAnyValue } from './pbTypes.ts';

const str = (s: string): Uint8Array => concat(tag(1, 2), len(Buffer.from(s)));
const int = (n: number): Uint8Array => concat(tag(3, 0), varint(n));
const array = (...values: Uint8Array[]): Uint8Array =>
  concat(tag(5, 2), len(concat(...values.map((v) => concat(tag(1, 2), len(v)))))); // ArrayValue.values

/** One record whose body is the given AnyValue bytes. */
function requestWithBody(anyValue: Uint8Array): Uint8Array {
  const record = concat(tag(5, 2), len(anyValue));
  return concat(tag(1, 2), len(concat(tag(2, 2), len(concat(tag(2, 2), len(record))))));
}

describe('OTLP protobuf root: AnyValue oneof', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('keeps the member read last when a request sets several (protobuf: the last one wins)', () => {
    const body = (bytes: Uint8Array): unknown => decodeOtlpLogsProtobuf(requestWithBody(bytes))[0]?.body;
    expect(body(concat(str('a'), int(7)))).toBe(7n);
    expect(body(concat(int(7), str('a')))).toBe('a');
    expect(body(concat(str('a'), int(7), str('b')))).toBe('b');
    // a message member repeated after another member starts afresh (no merge into the stale one)
    expect(body(concat(array(str('x')), str('s'), array(str('y'))))).toEqual(['y']);
    // the same message member repeated merges (protobuf merge of a singular message field)
    expect(body(concat(array(str('x')), array(str('y'))))).toEqual(['x', 'y']);
  });

  it('leaves only the set member on the decoded message', () => {
    const m = AnyValueType.decode(concat(str('a'), int(7), str('b'))) as unknown as PbAnyValue;
    expect(m.value).toBe('stringValue');
    expect(Object.keys(m)).toEqual(['stringValue']);
    const empty = AnyValueType.decode(new Uint8Array(0)) as unknown as PbAnyValue;
    expect(empty.value).toBeUndefined();
  });

  it('reads the member name without scanning the message (protobufjs scanned Object.keys per AnyValue)', () => {
    const m = AnyValueType.decode(int(7)) as unknown as PbAnyValue;
    const keys = vi.spyOn(Object, 'keys');
    expect(m.value).toBe('intValue');
    expect(keys).not.toHaveBeenCalled();
  });

  it("restores protobufjs's shared accessor factories for other users in the process", () => {
    const t = protobuf.Type.fromJSON('Other', {
      oneofs: { v: { oneof: ['a', 'b'] } },
      fields: { a: { type: 'string', id: 1 }, b: { type: 'string', id: 2 } },
    });
    const m = t.create() as unknown as Record<string, unknown>;
    m['a'] = 'x';
    m['b'] = 'y';
    m['v'] = 'b'; // protobufjs's own setter deletes the other members
    expect(Object.keys(m)).toEqual(['b']);
    expect(m['v']).toBe('b');
  });
});
