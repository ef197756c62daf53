import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../errors.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { DecodeLimitError } from '../record/errors.ts';
import { batchArb } from '../record/testutil/arbitraries.ts';
import { OtlpDecodeError } from './OtlpDecodeError.ts';
import { decodeOtlpLogsJson, encodeOtlpLogsJson } from './jsonCodec.ts';
import { decodeOtlpLogsProtobuf, encodeOtlpLogsProtobuf } from './protobufCodec.ts';
import { catchError } from './testutil/wire.ts';

const EXAMPLE = new URL('../../testdata/otlp/logs.json', import.meta.url);
const RECORD = 'resourceLogs[0].scopeLogs[0].logRecords[0]';

/** A request with one log record given as JSON text. */
function requestWith(logRecord: string): string {
  return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${logRecord}]}]}]}`;
}

describe('OTLP/JSON codec', () => {
  it('decodes the opentelemetry-proto example (upper-case hex ids, int64 as strings)', () => {
    const [record, ...rest] = decodeOtlpLogsJson(readFileSync(EXAMPLE));
    expect(rest).toHaveLength(0);
    expect(record).toEqual({
      resource: {
        attributes: [{ key: 'service.name', value: 'my.service' }],
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
      scope: {
        name: 'my.library',
        version: '1.0.0',
        attributes: [{ key: 'my.scope.attribute', value: 'some scope attribute' }],
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
      timeUnixNano: 1544712660300000000n,
      observedTimeUnixNano: 1544712660300000000n,
      severityNumber: 10,
      severityText: 'Information',
      body: 'Example log record',
      attributes: [
        { key: 'string.attribute', value: 'some string' },
        { key: 'boolean.attribute', value: true },
        { key: 'int.attribute', value: 10n },
        { key: 'double.attribute', value: 637.704 },
        { key: 'array.attribute', value: ['many', 'values'] },
        { key: 'map.attribute', value: { values: [{ key: 'some.map.key', value: 'some value' }] } },
      ],
      droppedAttributesCount: 0,
      flags: 0,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      eventName: '',
    });
  });

  it('round-trips batches through JSON, and JSON ⇄ protobuf, exactly', () => {
    fc.assert(
      fc.property(batchArb, ({ records, expected }) => {
        const text = encodeOtlpLogsJson(records);
        const decoded = decodeOtlpLogsJson(text);
        expect(decoded).toEqual(expected);
        expect(encodeOtlpLogsJson(decoded)).toBe(text);
        expect(decodeOtlpLogsProtobuf(encodeOtlpLogsProtobuf(decoded))).toEqual(expected);
        // ids given in upper case are normalized
        const upper = text.replace(
          /"(traceId|spanId)":"([0-9a-f]+)"/g,
          (_m, k: string, v: string) => `"${k}":"${v.toUpperCase()}"`,
        );
        expect(decodeOtlpLogsJson(upper)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('writes int64 as strings, special doubles as strings, -0 as -0, bytes as base64', () => {
    const text = encodeOtlpLogsJson([
      createAuditRecord({
        timeUnixNano: 2n ** 64n - 1n,
        body: [-(2n ** 63n), NaN, Infinity, -Infinity, -0, new Uint8Array([251, 255]), null, []],
      }),
    ]);
    expect(text).toBe(
      requestWith(
        '{"timeUnixNano":"18446744073709551615","body":{"arrayValue":{"values":[' +
          '{"intValue":"-9223372036854775808"},{"doubleValue":"NaN"},{"doubleValue":"Infinity"},' +
          '{"doubleValue":"-Infinity"},{"doubleValue":-0},{"bytesValue":"+/8="},{},{"arrayValue":{}}]}}}',
      )
        .replace('{"scopeLogs"', '{"resource":{},"scopeLogs"')
        .replace('{"logRecords"', '{"scope":{},"logRecords"'),
    );
  });

  it('accepts the proto3 JSON variants: numbers for int64 (exact beyond 2^53), snake_case, enum names, nulls', () => {
    const [record] = decodeOtlpLogsJson(
      requestWith(
        '{"time_unix_nano":18446744073709551615,"severity_number":"SEVERITY_NUMBER_WARN2","severityText":null,' +
          '"attributes":[{"key":"big","value":{"int_value":-9223372036854775808}},{"key":"d","value":{"doubleValue":"1.5"}},' +
          '{"key":"u","value":{"bytes_value":"-_8"}},{"key":"e","value":null},{"key":"n","value":{"stringValue":null}}],' +
          '"trace_id":"","unknownField":{"deep":[1,2,3]}}',
      ),
    );
    expect(record?.timeUnixNano).toBe(2n ** 64n - 1n);
    expect(record?.severityNumber).toBe(14);
    expect(record?.severityText).toBe('');
    expect(record?.attributes).toEqual([
      { key: 'big', value: -(2n ** 63n) },
      { key: 'd', value: 1.5 },
      { key: 'u', value: new Uint8Array([251, 255]) },
      { key: 'e', value: null },
      { key: 'n', value: null },
    ]);
  });

  it('rejects malformed JSON and wrong field types with the path', () => {
    const cases: [string, RegExp][] = [
      ['{"resourceLogs": [', /^invalid JSON/],
      ['[]', /^expected an object, got an array/],
      ['{"resourceLogs": {}}', /^resourceLogs: expected an array, got an object/],
      [
        requestWith('{"traceId":"5B8EFFF7"}'),
        /^resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.traceId: expected 32 hex characters/,
      ],
      [requestWith('{"spanId":"zzzzzzzzzzzzzzzz"}'), /logRecords\[0\]\.spanId: expected 16 hex characters/],
      [
        requestWith('{"severityNumber":"abc"}'),
        /severityNumber: expected an integer or a SeverityNumber name/,
      ],
      [requestWith('{"severityNumber":1.5}'), /severityNumber: expected an int32/],
      [requestWith('{"timeUnixNano":"-1"}'), /timeUnixNano: uint64 out of range: -1$/],
      [
        requestWith('{"timeUnixNano":"1.5"}'),
        /timeUnixNano: expected a uint64 \(decimal string\), got string "1.5"$/,
      ],
      [requestWith('{"timeUnixNano":"18446744073709551616"}'), /timeUnixNano: uint64 out of range/],
      [requestWith('{"body":{"intValue":"9223372036854775808"}}'), /body\.intValue: int64 out of range/],
      [
        requestWith('{"body":{"intValue":true}}'),
        /body\.intValue: expected an int64 \(decimal string\), got boolean true/,
      ],
      [requestWith('{"body":{"boolValue":"true"}}'), /body\.boolValue: expected true or false/],
      [requestWith('{"body":{"bytesValue":"***"}}'), /body\.bytesValue: expected base64 bytes/],
      [
        requestWith('{"body":{"stringValue":"a","intValue":"1"}}'),
        /body: more than one value set \(stringValue and intValue\)/,
      ],
      [requestWith('{"body":{"stringValue":"\\ud800"}}'), /body\.stringValue: string has a lone surrogate/],
      [requestWith('{"attributes":[{"key":1}]}'), /attributes\[0\]\.key: expected a string, got number 1/],
      [
        requestWith('{"body":{"kvlistValue":{"values":[{"key":"k","value":"v"}]}}}'),
        /body\.kvlistValue\.values\[0\]\.value: expected an object/,
      ],
      [requestWith('{"flags":4294967296}'), /flags: uint32 out of range/],
    ];
    for (const [text, message] of cases) {
      const error = catchError(() => decodeOtlpLogsJson(text));
      expect(error, text).toBeInstanceOf(OtlpDecodeError);
      expect((error as Error).message, text).toMatch(message);
      expect((error as OtelAuditError).code).toBe('OTLP_DECODE');
    }
    expect(() => decodeOtlpLogsJson(Uint8Array.of(0x7b, 0xff, 0x7d))).toThrow(/not valid UTF-8/);
    expect(() => decodeOtlpLogsJson(Uint8Array.of(0x7b, 0x7d))).not.toThrow();
  });

  it('stops over-deep nesting before parsing, and at anyValueDepthMax', () => {
    const deepText = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    const error = catchError(() => decodeOtlpLogsJson(deepText));
    expect(error).toBeInstanceOf(DecodeLimitError);
    expect((error as DecodeLimitError).limit).toBe('anyValueDepthMax');
    let body = '{}';
    for (let i = 0; i < 3; i++) body = `{"arrayValue":{"values":[${body}]}}`;
    expect(
      decodeOtlpLogsJson(requestWith(`{"body":${body}}`), { limits: { anyValueDepthMax: 4 } }),
    ).toHaveLength(1);
    expect(() =>
      decodeOtlpLogsJson(requestWith(`{"body":${body}}`), { limits: { anyValueDepthMax: 3 } }),
    ).toThrow(
      /body\.arrayValue\.values\[0\]\.arrayValue\.values\[0\]\.arrayValue\.values\[0\]: AnyValue nested too deep/,
    );
  });

  it('enforces every decode limit and names it', () => {
    const text = encodeOtlpLogsJson([
      createAuditRecord({
        attributes: [
          { key: 'a', value: 'é'.repeat(5) },
          { key: 'b', value: new Uint8Array(10) },
          {
            key: 'c',
            value: {
              values: [
                { key: 'x', value: 1n },
                { key: 'y', value: 2n },
                { key: 'x', value: 3n },
              ],
            },
          },
        ],
      }),
      createAuditRecord(),
    ]);
    const cases: [Record<string, number>, string, string][] = [
      [{ recordCountMax: 1 }, 'recordCountMax', `resourceLogs[0].scopeLogs[0].logRecords[1]`],
      [{ attributeCountMax: 2 }, 'attributeCountMax', `${RECORD}.attributes`],
      [{ stringBytesMax: 9 }, 'stringBytesMax', `${RECORD}.attributes[0].value.stringValue`],
      [{ bytesLengthMax: 9 }, 'bytesLengthMax', `${RECORD}.attributes[1].value.bytesValue`],
      [{ arrayLengthMax: 2 }, 'arrayLengthMax', `${RECORD}.attributes[2].value.kvlistValue.values`],
    ];
    for (const [limits, name, path] of cases) {
      const error = catchError(() => decodeOtlpLogsJson(text, { limits }));
      expect(error).toBeInstanceOf(DecodeLimitError);
      expect((error as DecodeLimitError).limit).toBe(name);
      expect((error as DecodeLimitError).path).toBe(path);
    }
    expect(decodeOtlpLogsJson(text, { limits: { stringBytesMax: 10, bytesLengthMax: 10 } })).toHaveLength(2);
  });

  it('decodes arbitrary JSON to records or a typed error, never a crash', () => {
    const anyJson = fc.jsonValue({ maxDepth: 6 });
    const shaped = fc.tuple(anyJson, anyJson, anyJson).map(([a, b, c]) => ({
      resourceLogs: [{ resource: a, scopeLogs: [{ scope: b, logRecords: [c, { body: a, attributes: b }] }] }],
    }));
    fc.assert(
      fc.property(fc.oneof(anyJson, shaped), (value) => {
        try {
          decodeOtlpLogsJson(JSON.stringify(value));
        } catch (error) {
          expect(error).toBeInstanceOf(OtelAuditError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
