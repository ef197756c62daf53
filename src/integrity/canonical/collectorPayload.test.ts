/**
 * The Collector contrib `signing` processor payload, checked against what
 * that processor's own tests pin (processor_int64_precision_test.go,
 * processor_float64_precision_test.go, canonical_boundaries_test.go) and the
 * README at 0d2928f6. Signature known answers over this payload are in
 * src/integrity/sign/collectorSigning.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { CanonicalEncodingError, type CanonicalEncodingProblem } from './CanonicalEncodingError.ts';
import { COLLECTOR_PAYLOAD_BYTES_MAX, collectorPayload, collectorPayloadBytes } from './collectorPayload.ts';
import { utf8 } from './testutil/vectors.ts';

const payload = (init: Partial<AuditRecord>): string => utf8(collectorPayloadBytes(createAuditRecord(init)));
const attr = (key: string, value: AnyValue): Partial<AuditRecord> => ({ attributes: [{ key, value }] });

function problemOf(init: Partial<AuditRecord>): CanonicalEncodingProblem {
  try {
    collectorPayloadBytes(createAuditRecord(init));
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalEncodingError);
    expect((error as CanonicalEncodingError).code).toBe('INTEGRITY_CANONICAL');
    return (error as CanonicalEncodingError).problem;
  }
  throw new Error('expected a CanonicalEncodingError');
}

function nestedArrays(depth: number): AnyValue {
  let value: AnyValue = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('collector signing payload', () => {
  it('is {} for a record with every field at its default', () => {
    expect(payload({})).toBe('{}');
  });

  it('writes the documented fields, JCS-sorted', () => {
    expect(
      payload({
        eventName: 'user.login.success',
        body: 'hello',
        timeUnixNano: 1714041600000000000n,
        observedTimeUnixNano: 1714041600001000000n,
        severityNumber: 13,
        severityText: 'WARN',
        traceId: '0102030405060708090a0b0c0d0e0f10',
        spanId: '0102030405060708',
        attributes: [
          { key: 'audit.actor.id', value: 'u1' },
          { key: 'n', value: 123n },
        ],
        flags: 1,
        droppedAttributesCount: 9,
      }),
    ).toBe(
      '{"attributes":{"audit.actor.id":{"stringValue":"u1"},"n":{"intValue":"123"}},"body":"hello",' +
        '"event_name":"user.login.success","observed_timestamp":"1714041600001000000","severity_number":13,' +
        '"severity_text":"WARN","span_id":"0102030405060708","timestamp":"1714041600000000000",' +
        '"trace_id":"0102030405060708090a0b0c0d0e0f10"}',
    );
  });

  it('signs a string body only, as a plain string', () => {
    expect(payload({ body: '' })).toBe('{"body":""}');
    for (const body of [null, 42n, 1.5, true, Uint8Array.of(1), ['x'], { values: [] }] as AnyValue[]) {
      expect(payload({ body })).toBe('{}');
    }
  });

  it('omits all-zero trace and span ids', () => {
    expect(payload({ traceId: '0'.repeat(32), spanId: '0'.repeat(16) })).toBe('{}');
  });

  it('type-tags every scalar, recursively, and writes the empty value as null', () => {
    const value: AnyValue = {
      values: [
        { key: 's', value: 's' },
        { key: 'i', value: -5n },
        { key: 'd', value: 1 },
        { key: 'b', value: true },
        { key: 'y', value: new TextEncoder().encode('hello') },
        { key: 'a', value: [7n, '7', null, []] },
        { key: 'e', value: null },
      ],
    };
    expect(payload(attr('m', value))).toBe(
      '{"attributes":{"m":{"a":[{"intValue":"7"},{"stringValue":"7"},null,[]],"b":{"boolValue":true},' +
        '"d":{"doubleValue":1},"e":null,"i":{"intValue":"-5"},"s":{"stringValue":"s"},' +
        '"y":{"bytesValue":"aGVsbG8="}}}}',
    );
  });

  it('keeps int64 and timestamps exact (contrib TestInt64AttributePrecision, TestTimestampPrecision)', () => {
    expect(payload(attr('k', 2n ** 53n))).not.toBe(payload(attr('k', 2n ** 53n + 1n)));
    expect(payload(attr('big.value', 2n ** 63n - 1n))).toContain('"intValue":"9223372036854775807"');
    expect(payload({ timeUnixNano: 1714041600000000000n })).not.toBe(
      payload({ timeUnixNano: 1714041600000000001n }),
    );
    expect(payload({ timeUnixNano: 1714041600000000000n })).toContain('"1714041600000000000"');
  });

  it('keeps same-looking scalars of different types apart (contrib TestScalarTypeCollision)', () => {
    const pairs: [AnyValue, AnyValue][] = [
      [123n, '123'],
      [new TextEncoder().encode('hello'), 'aGVsbG8='],
      [true, 'true'],
      [1, '1'],
      [-5n, '-5'],
      [[7n], ['7']],
      [[-5n], ['-5']],
    ];
    for (const [a, b] of pairs) expect(payload(attr('k', a))).not.toBe(payload(attr('k', b)));
  });

  it('serializes doubles per RFC 8785 and refuses NaN and ±Infinity (contrib float64 tests)', () => {
    expect(payload(attr('v', 1e21))).toContain('"doubleValue":1e+21');
    expect(payload(attr('v', 5e-7))).toContain('"doubleValue":5e-7');
    expect(payload(attr('v', -2.5))).toContain('"doubleValue":-2.5');
    expect(payload(attr('v', -0))).toBe(payload(attr('v', 0))); // JCS: -0 → 0, as in the processor
    for (const v of [NaN, Infinity, -Infinity]) expect(problemOf(attr('v', v))).toBe('non-finite-number');
    expect(problemOf(attr('v', [{ values: [{ key: 'x', value: NaN }] }]))).toBe('non-finite-number');
  });

  it('makes attributes an object: the last duplicate wins, audit.integrity.* excluded at the top only', () => {
    const attributes: KeyValue[] = [
      { key: 'dup', value: 'first' },
      { key: 'audit.integrity.value', value: 'sig' },
      { key: 'dup', value: 'second' },
      {
        key: 'm',
        value: {
          values: [
            { key: 'audit.integrity.x', value: 1n },
            { key: 'k', value: 1n },
            { key: 'k', value: 2n },
          ],
        },
      },
    ];
    expect(payload({ attributes })).toBe(
      '{"attributes":{"dup":{"stringValue":"second"},"m":{"audit.integrity.x":{"intValue":"1"},"k":{"intValue":"2"}}}}',
    );
    expect(payload(attr('audit.integrity.algorithm', 'EdDSA'))).toBe('{}');
  });

  it('accepts any attribute key, including __proto__', () => {
    expect(payload(attr('__proto__', 'x'))).toBe('{"attributes":{"__proto__":{"stringValue":"x"}}}');
    expect(Object.getPrototypeOf(collectorPayload(createAuditRecord(attr('a', 1n)))['attributes'])).toBe(
      null,
    );
  });

  it('limits nesting to 128 below an attribute, counting structure, not braces in strings', () => {
    expect(problemOf(attr('deep', nestedArrays(129)))).toBe('depth');
    expect(() => payload(attr('deep', nestedArrays(128)))).not.toThrow();
    expect(() => payload(attr('note', '{'.repeat(200)))).not.toThrow();
    expect(
      problemOf({
        attributes: [
          { key: 'a', value: '}'.repeat(400) },
          { key: 'b', value: nestedArrays(228) },
        ],
      }),
    ).toBe('depth');
  });

  it('limits the payload to 2 MiB of Go encoding/json output', () => {
    const overhead = payload(attr('k', '')).length; // {"attributes":{"k":{"stringValue":""}}}
    const fits = COLLECTOR_PAYLOAD_BYTES_MAX - overhead;
    expect(collectorPayloadBytes(createAuditRecord(attr('k', 'a'.repeat(fits))))).toHaveLength(
      COLLECTOR_PAYLOAD_BYTES_MAX,
    );
    expect(problemOf(attr('k', 'a'.repeat(fits + 1)))).toBe('size');
    // Go escapes < > & as \u003c... (6 bytes): the processor measures that, so must we
    expect(problemOf(attr('k', '<'.repeat(fits / 6 + 1)))).toBe('size');
    expect(() => payload(attr('k', '<'.repeat(Math.floor(fits / 6) - 1)))).not.toThrow();
  });

  it('refuses lone surrogates anywhere', () => {
    expect(problemOf({ eventName: '\ud800' })).toBe('lone-surrogate');
    expect(problemOf(attr('k\udc00', 'v'))).toBe('lone-surrogate');
    expect(problemOf({ body: 'x\ud83d' })).toBe('lone-surrogate');
  });
});
