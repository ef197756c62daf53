import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../errors.ts';
import { ANY_VALUE_DEPTH_CEILING, type AnyValue } from '../record/AnyValue.ts';
import { createAuditRecord, createAuditResource, createAuditScope } from '../record/AuditRecord.ts';
import { resolveDecodeLimits } from '../record/DecodeLimits.ts';
import { DecodeLimitError, RecordInvalidError } from '../record/errors.ts';
import { batchArb, recordArb } from '../record/testutil/arbitraries.ts';
import { OtlpDecodeError } from './OtlpDecodeError.ts';
import { decodeOtlpLogsProtobuf, encodeOtlpLogsProtobuf } from './protobufCodec.ts';
import { ExportLogsServiceRequestType } from './internal/otlpRoot.ts';
import { scanMessageOf } from './internal/wireSchema.ts';
import { scanWire } from './internal/wireScan.ts';
import { catchError, concat, len, tag, varint } from './testutil/wire.ts';

describe('OTLP protobuf codec', () => {
  it('round-trips batches, grouped by resource and scope, and is deterministic', () => {
    fc.assert(
      fc.property(batchArb, ({ records, expected }) => {
        const bytes = encodeOtlpLogsProtobuf(records);
        const decoded = decodeOtlpLogsProtobuf(bytes);
        expect(decoded).toEqual(expected);
        expect(Buffer.from(encodeOtlpLogsProtobuf(decoded)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('groups equal resources and scopes by value and shares them on decode', () => {
    const r1 = createAuditResource({ attributes: [{ key: 'service.name', value: 'a' }] });
    const r2 = createAuditResource({ attributes: [{ key: 'service.name', value: 'a' }] });
    const s1 = createAuditScope({ name: 'lib' });
    const records = [
      createAuditRecord({ resource: r1, scope: s1, body: 1n }),
      createAuditRecord({ resource: otherResource(), scope: s1, body: 2n }),
      createAuditRecord({ resource: r2, scope: createAuditScope({ name: 'lib' }), body: 3n }),
    ];
    const decoded = decodeOtlpLogsProtobuf(encodeOtlpLogsProtobuf(records));
    expect(decoded.map((r) => r.body)).toEqual([1n, 3n, 2n]);
    expect(decoded[0]?.resource).toBe(decoded[1]?.resource);
    expect(decoded[0]?.scope).toBe(decoded[1]?.scope);
    expect(Object.isFrozen(decoded[0]?.resource)).toBe(true);
  });

  it('refuses to encode invalid records', () => {
    const bad = createAuditRecord({ attributes: [{ key: 'x', value: 2n ** 63n }] });
    const error = catchError(() => encodeOtlpLogsProtobuf([bad]));
    expect(error).toBeInstanceOf(RecordInvalidError);
    expect((error as RecordInvalidError).path).toBe('attributes[0].value');
  });

  it('decodes random bytes and damaged requests to records or a typed error, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          decodeOtlpLogsProtobuf(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(OtelAuditError);
        }
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(recordArb(), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.nat(7),
        (records, at, bit) => {
          const bytes = encodeOtlpLogsProtobuf(records);
          const flipped = bytes.slice();
          flipped[at % bytes.length] = (flipped[at % bytes.length] ?? 0) ^ (1 << bit);
          for (const damaged of [bytes.subarray(0, at % bytes.length), flipped]) {
            try {
              decodeOtlpLogsProtobuf(damaged);
            } catch (error) {
              expect(error).toBeInstanceOf(OtelAuditError);
              expect(['OTLP_DECODE', 'DECODE_LIMIT']).toContain((error as OtelAuditError).code);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a truncated field with its path', () => {
    // resource_logs { scope_logs { log_records { severity_text: LEN 5 "ab" (truncated) } } }
    const record = concat(tag(3, 2), varint(5), Buffer.from('ab'));
    const error = catchError(() => decodeOtlpLogsProtobuf(wrapRecord(record)));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as Error).message).toMatch(
      /^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.severityText: length 5/,
    );
  });

  it('rejects a known field with the wrong wire type', () => {
    // time_unix_nano (fixed64) sent as a varint
    const error = catchError(() => decodeOtlpLogsProtobuf(wrapRecord(concat(tag(1, 0), varint(7)))));
    expect(error).toBeInstanceOf(OtlpDecodeError);
    expect((error as Error).message).toBe(
      'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: wrong wire type 0 (expected 1)',
    );
    // a LogRecord sent as a varint
    const top = concat(tag(1, 2), len(concat(tag(2, 2), len(concat(tag(2, 0), varint(1))))));
    expect(() => decodeOtlpLogsProtobuf(top)).toThrow(/logRecords\[0\]: wrong wire type 0 \(expected 2\)/);
  });

  it('skips unknown fields, rejects groups and invalid wire types', () => {
    const unknown = concat(
      tag(99, 0),
      varint(1),
      tag(98, 2),
      len(Buffer.from('xyz')),
      tag(97, 5),
      new Uint8Array(4),
    );
    const decoded = decodeOtlpLogsProtobuf(wrapRecord(concat(unknown, tag(3, 2), len(Buffer.from('INFO')))));
    expect(decoded[0]?.severityText).toBe('INFO');
    expect(() => decodeOtlpLogsProtobuf(concat(tag(5, 3), tag(5, 4)))).toThrow(/groups/);
    expect(() => decodeOtlpLogsProtobuf(concat(tag(5, 7)))).toThrow(/invalid wire type 7/);
    expect(() => decodeOtlpLogsProtobuf(Uint8Array.of(0x00))).toThrow(/invalid tag 0/);
  });

  it('rejects invalid UTF-8 and malformed ids', () => {
    const badString = concat(tag(3, 2), len(Uint8Array.of(0xc3, 0x28)));
    expect(() => decodeOtlpLogsProtobuf(wrapRecord(badString))).toThrow(
      /severityText: string is not valid UTF-8/,
    );
    const shortTrace = concat(tag(9, 2), len(new Uint8Array(15)));
    expect(() => decodeOtlpLogsProtobuf(wrapRecord(shortTrace))).toThrow(
      /logRecords\[0\]\.traceId: expected 16 bytes \(or none\), got 15/,
    );
  });

  it('stops over-deep AnyValue nesting without recursion (100,000 levels)', () => {
    const error = catchError(() =>
      decodeOtlpLogsProtobuf(wrapRecord(concat(tag(5, 2), len(nestedArrays(100_000))))),
    );
    expect(error).toBeInstanceOf(DecodeLimitError);
    expect((error as DecodeLimitError).limit).toBe('anyValueDepthMax');
    // exactly at the limit is fine, one more is not
    const ok = decodeOtlpLogsProtobuf(wrapRecord(concat(tag(5, 2), len(nestedArrays(31)))), {});
    expect(ok).toHaveLength(1);
    expect(() => decodeOtlpLogsProtobuf(wrapRecord(concat(tag(5, 2), len(nestedArrays(32)))))).toThrow(
      DecodeLimitError,
    );
    expect(() =>
      decodeOtlpLogsProtobuf(wrapRecord(concat(tag(5, 2), len(nestedArrays(3)))), {
        limits: { anyValueDepthMax: 3 },
      }),
    ).toThrow(
      /body\.arrayValue\.values\[0\]\.arrayValue\.values\[0\]\.arrayValue\.values\[0\]: AnyValue nested too deep/,
    );
  });

  it('encodes and decodes the deepest allowed value (32 kvlist levels in an attribute)', () => {
    let value: AnyValue = { values: [] };
    for (let i = 1; i < ANY_VALUE_DEPTH_CEILING; i++) value = { values: [{ key: `k${i}`, value }] };
    const record = createAuditRecord({ attributes: [{ key: 'deep', value }], body: value });
    expect(decodeOtlpLogsProtobuf(encodeOtlpLogsProtobuf([record]))).toEqual([record]);
    const tooDeep = createAuditRecord({ body: { values: [{ key: 'k', value }] } });
    expect(() => encodeOtlpLogsProtobuf([tooDeep])).toThrow(/nested deeper than 32 levels/);
  });

  it('enforces every decode limit and names it', () => {
    const records = [
      createAuditRecord({
        attributes: [
          { key: 'a', value: 'x'.repeat(10) },
          { key: 'b', value: new Uint8Array(10) },
          { key: 'c', value: [1n, 2n, 3n] },
        ],
      }),
      createAuditRecord(),
    ];
    const bytes = encodeOtlpLogsProtobuf(records);
    const cases: [Partial<Record<string, number>>, string, string][] = [
      [{ recordCountMax: 1 }, 'recordCountMax', 'resourceLogs[0].scopeLogs[0].logRecords[1]'],
      [
        { attributeCountMax: 2 },
        'attributeCountMax',
        'resourceLogs[0].scopeLogs[0].logRecords[0].attributes',
      ],
      [
        { stringBytesMax: 9 },
        'stringBytesMax',
        'resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].value.stringValue',
      ],
      [
        { bytesLengthMax: 9 },
        'bytesLengthMax',
        'resourceLogs[0].scopeLogs[0].logRecords[0].attributes[1].value.bytesValue',
      ],
      [
        { arrayLengthMax: 2 },
        'arrayLengthMax',
        'resourceLogs[0].scopeLogs[0].logRecords[0].attributes[2].value.arrayValue.values',
      ],
    ];
    for (const [limits, name, path] of cases) {
      const error = catchError(() => decodeOtlpLogsProtobuf(bytes, { limits }));
      expect(error).toBeInstanceOf(DecodeLimitError);
      expect((error as DecodeLimitError).limit).toBe(name);
      expect((error as DecodeLimitError).path).toBe(path);
      expect((error as DecodeLimitError).code).toBe('DECODE_LIMIT');
    }
    expect(
      decodeOtlpLogsProtobuf(bytes, { limits: { stringBytesMax: 10, bytesLengthMax: 10 } }),
    ).toHaveLength(2);
  });

  it('refuses over-long attribute lists and arrays in the wire scan, before protobufjs builds objects', () => {
    // 2-byte empty entries: 20 MiB of them would be ~10 million objects (~1 GB) if decoded first.
    const empties = (fieldNumber: number, n: number): Uint8Array => {
      const out = new Uint8Array(2 * n);
      for (let i = 0; i < n; i++) out[2 * i] = fieldNumber * 8 + 2;
      return out;
    };
    const limits = resolveDecodeLimits({ attributeCountMax: 3, arrayLengthMax: 3 });
    const attributes = wrapRecord(empties(6, 4)); // LogRecord.attributes (6)
    // LogRecord.body (5) → AnyValue.array_value (5) → ArrayValue.values (1)
    const array = wrapRecord(concat(tag(5, 2), len(concat(tag(5, 2), len(empties(1, 4))))));
    for (const [bytes, name, path] of [
      [attributes, 'attributeCountMax', 'resourceLogs[0].scopeLogs[0].logRecords[0].attributes'],
      [array, 'arrayLengthMax', 'resourceLogs[0].scopeLogs[0].logRecords[0].body.arrayValue.values'],
    ] as const) {
      const error = catchError(() => scanWire(bytes, scanMessageOf(ExportLogsServiceRequestType), limits));
      expect(error).toBeInstanceOf(DecodeLimitError);
      expect((error as DecodeLimitError).limit).toBe(name);
      expect((error as DecodeLimitError).path).toBe(path);
    }
    // exactly at the limit passes the scan and decodes
    expect(decodeOtlpLogsProtobuf(wrapRecord(empties(6, 3)), { limits })[0]?.attributes).toHaveLength(3);
  });
});

function otherResource(): ReturnType<typeof createAuditResource> {
  return createAuditResource({ attributes: [{ key: 'other', value: true }] });
}

/** ExportLogsServiceRequest { resource_logs { scope_logs { log_records { <record> } } } }. */
function wrapRecord(record: Uint8Array): Uint8Array {
  const logRecord = concat(tag(2, 2), len(record));
  const scopeLogs = concat(tag(2, 2), len(logRecord));
  return concat(tag(1, 2), len(scopeLogs));
}

/** An AnyValue `depth` levels deep: arrays of one element, innermost an empty AnyValue. Built iteratively. */
function nestedArrays(depth: number): Uint8Array {
  // level i (from the inside): AnyValue{ array_value(5): ArrayValue{ values(1): <level i-1> } }
  const inner: number[] = []; // size of the AnyValue nested in each level's ArrayValue
  let size = 0;
  for (let i = 0; i < depth; i++) {
    inner.push(size);
    const arrayValue = 1 + varint(size).length + size;
    size = 1 + varint(arrayValue).length + arrayValue;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  const put = (bytes: Uint8Array): void => {
    out.set(bytes, offset);
    offset += bytes.length;
  };
  for (let i = depth - 1; i >= 0; i--) {
    const innerSize = inner[i] as number;
    put(tag(5, 2));
    put(varint(1 + varint(innerSize).length + innerSize));
    put(tag(1, 2));
    put(varint(innerSize));
  }
  return out;
}
