import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue } from '../record/AnyValue.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../record/AuditRecord.ts';
import { RecordInvalidError } from '../record/errors.ts';
import { anyValueArb, recordArb, resourceArb, scopeArb } from '../record/testutil/arbitraries.ts';
import { validateRecord } from '../record/validateRecord.ts';
import { decodeRecord, encodeRecord, encodeRecordWithRoom } from '../record/walCodec.ts';
import { encodeSingleRecord } from './internal/singleRecordEncoder.ts';
import { encodeOtlpLogsProtobuf } from './protobufCodec.ts';

/** The oracle: the version byte, then the general protobufjs-based encoder (validateRecord + pbFromRecords + protobufjs). */
function oracle(record: AuditRecord): Buffer {
  return Buffer.concat([Buffer.of(1), encodeOtlpLogsProtobuf([record])]);
}

function encoded(record: AuditRecord): Buffer {
  return Buffer.from(encodeSingleRecord(1, record));
}

/** Long strings: ASCII and not, around the 128-byte and 16 KiB varint boundaries and the short-string cut-over. */
const longStringArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('a', 'é', '€', '😀', 'x\u0000'),
    fc.constantFrom(20, 24, 25, 42, 43, 63, 64, 126, 127, 128, 129, 200, 5000, 5462, 8200),
  )
  .map(([unit, n]) => unit.repeat(n));

/** Values that make every length-delimited level cross a varint boundary somewhere. */
const bigValueArb: fc.Arbitrary<AnyValue> = fc.oneof(
  longStringArb,
  fc.uint8Array({ minLength: 100, maxLength: 300 }),
  fc.array(longStringArb, { maxLength: 3 }),
  fc
    .array(fc.record({ key: longStringArb, value: longStringArb }), { maxLength: 3 })
    .map((values) => ({ values })),
);

const bigRecordArb: fc.Arbitrary<AuditRecord> = fc
  .record({
    record: recordArb(),
    body: bigValueArb,
    attributes: fc.array(fc.record({ key: longStringArb, value: fc.oneof(bigValueArb, anyValueArb) }), {
      maxLength: 3,
    }),
    text: longStringArb,
  })
  .map(({ record, body, attributes, text }) => ({
    ...record,
    body,
    attributes: [...record.attributes, ...attributes],
    severityText: text,
    resource: createAuditResource({ ...record.resource, schemaUrl: text }),
  }));

describe('single-record encoder', () => {
  it('writes exactly the bytes of the protobufjs encoder, and decodes back to the record', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          recordArb(),
          recordArb(resourceArb.map(createAuditResource), scopeArb.map(createAuditScope)),
          bigRecordArb,
        ),
        (record) => {
          const general = oracle(record);
          expect(encoded(record).equals(general)).toBe(true);
          // A second call may use the cached resource/scope parts: still identical.
          expect(encoded(record).equals(general)).toBe(true);
          expect(decodeRecord(encodeRecord(record))).toEqual(record);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never changes a payload it handed out (payloads share chunks; later and failed encodes write elsewhere)', () => {
    const records = fc.sample(fc.oneof(recordArb(), bigRecordArb), { numRuns: 300, seed: 7 });
    const payloads = records.map((r, i) => {
      if (i % 7 === 0) expect(() => encodeRecord({ ...r, traceId: 'X' })).toThrow(RecordInvalidError);
      return encodeRecord(r);
    });
    records.forEach((r, i) => expect(Buffer.from(payloads[i] as Uint8Array).equals(oracle(r))).toBe(true));
  });

  it('handles empty and schema-only resources and scopes', () => {
    for (const resource of [createAuditResource(), createAuditResource({ schemaUrl: 'https://s/r' })]) {
      for (const scope of [
        createAuditScope(),
        createAuditScope({ schemaUrl: 'https://s/s' }),
        createAuditScope({ name: 'n' }),
      ]) {
        const r = createAuditRecord({ resource, scope, timeUnixNano: 1n, body: 'x' });
        expect(encoded(r).equals(oracle(r))).toBe(true);
      }
    }
  });

  it('writes every NaN as the canonical quiet NaN, whatever its payload bits', () => {
    const bits = new DataView(new ArrayBuffer(8));
    bits.setUint32(0, 1, true);
    bits.setUint32(4, 0xfff0_0000, true); // a signalling NaN with the sign bit set
    const odd = bits.getFloat64(0, true);
    expect(Number.isNaN(odd)).toBe(true);
    const r = createAuditRecord({ body: [odd, NaN, -0, 0, Infinity, -Infinity] });
    expect(encoded(r).equals(oracle(r))).toBe(true);
    expect(encoded(r).toString('hex')).toContain(
      '0a0921000000000000f87f0a0921000000000000f87f0a09210000000000000080',
    );
  });

  it('writes int64 and int32 extremes as protobufjs does (negative = 10-byte varints)', () => {
    for (const value of [
      0n,
      1n,
      127n,
      128n,
      2n ** 31n,
      2n ** 32n - 1n,
      2n ** 32n,
      -1n,
      -(2n ** 63n),
      2n ** 63n - 1n,
    ]) {
      for (const severityNumber of [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31)]) {
        const r = createAuditRecord({
          body: value,
          severityNumber,
          flags: 0xffff_ffff,
          droppedAttributesCount: 0xffff_ffff,
          timeUnixNano: 2n ** 64n - 1n,
          observedTimeUnixNano: 2n ** 63n,
        });
        expect(encoded(r).equals(oracle(r))).toBe(true);
      }
    }
  });

  it('re-encodes a cached resource or scope whose content changed (never writes stale bytes)', () => {
    const values: KeyValue[] = [{ key: 'k', value: 'v' }];
    const resource = createAuditResource({
      attributes: [
        { key: 'service.name', value: 'a' },
        { key: 'list', value: { values } },
      ],
    });
    const scope = createAuditScope({ name: 'lib', attributes: [{ key: 's', value: 1n }] });
    const r = createAuditRecord({ resource, scope, body: 'x' });
    expect(encoded(r).equals(oracle(r))).toBe(true);
    // frozen objects, but the entries inside are not: change them and encode again
    (resource.attributes[0] as KeyValue).value = 'b';
    expect(encoded(r).equals(oracle(r))).toBe(true);
    (values[0] as KeyValue).value = 'w';
    expect(encoded(r).equals(oracle(r))).toBe(true);
    (scope.attributes[0] as KeyValue).value = -0;
    expect(encoded(r).equals(oracle(r))).toBe(true);
    (scope.attributes[0] as KeyValue).value = 0;
    expect(encoded(r).equals(oracle(r))).toBe(true);
    // and an invalid change is refused exactly as validateRecord refuses it
    (resource.attributes[0] as KeyValue).value = 2n ** 63n;
    expect(errorOf(() => encodeRecord(r))).toEqual(errorOf(() => validateRecord(r)));
    expect(errorOf(() => encodeRecord(r))?.message).toBe('resource.attributes[0].value: int64 out of range');
  });

  it('survives an encode nested inside another (a getter that encodes)', () => {
    const inner = createAuditRecord({ body: 'inner' });
    const outer = createAuditRecord({ body: 'outer' });
    Object.defineProperty(outer, 'eventName', {
      get: () => (encodeRecord(inner).length > 0 ? 'e' : ''),
      enumerable: true,
    });
    const plain = { ...outer };
    expect(encoded(outer).equals(oracle(plain))).toBe(true);
  });
});

describe('encodeRecordWithRoom (payload written inside room for a container)', () => {
  it("holds exactly encodeRecord's payload between the room, and consecutive results are adjacent in memory", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(recordArb(), bigRecordArb, recordArb(resourceArb.map(createAuditResource))), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.constantFrom(0, 1, 24),
        fc.constantFrom(0, 4, 9),
        (records, head, tail) => {
          const framed = records.map((r) => encodeRecordWithRoom(r, head, tail));
          let adjacent = 0;
          records.forEach((r, i) => {
            const f = framed[i] as Buffer;
            expect(f.subarray(head, f.length - tail).equals(oracle(r))).toBe(true);
            const prev = framed[i - 1];
            if (prev && prev.buffer === f.buffer && prev.byteOffset + prev.length === f.byteOffset)
              adjacent++;
          });
          // Not adjacent only where a new chunk began (the chunk is 1 MiB; these records are far smaller).
          const bytes = framed.reduce((n, f) => n + f.length, 0);
          if (bytes < 512 * 1024) expect(adjacent).toBeGreaterThanOrEqual(records.length - 2);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('moves the LogRecord when its framing is not the usual size (tiny and >16 KiB records), leaving no gap', () => {
    const tiny = createAuditRecord({});
    const huge = createAuditRecord({
      body: 'x'.repeat(20_000),
      attributes: [{ key: 'k', value: 'é'.repeat(9000) }],
    });
    const medium = createAuditRecord({ body: 'm'.repeat(300) });
    const framed = [tiny, medium, huge, tiny, medium].map((r) => encodeRecordWithRoom(r, 24, 4));
    [tiny, medium, huge, tiny, medium].forEach((r, i) => {
      const f = framed[i] as Buffer;
      expect(f.subarray(24, f.length - 4).equals(oracle(r))).toBe(true);
    });
    for (let i = 1; i < framed.length; i++) {
      const a = framed[i - 1] as Buffer;
      const b = framed[i] as Buffer;
      if (a.buffer === b.buffer) expect(b.byteOffset).toBe(a.byteOffset + a.length);
    }
  });

  it('never changes a result it handed out, and refuses an invalid record as validateRecord does', () => {
    const records = fc.sample(fc.oneof(recordArb(), bigRecordArb), { numRuns: 300, seed: 11 });
    const framed = records.map((r, i) => {
      if (i % 5 === 0) {
        const bad = { ...r, spanId: 'Z' };
        expect(errorOf(() => encodeRecordWithRoom(bad, 24, 4))).toEqual(errorOf(() => validateRecord(bad)));
      }
      return encodeRecordWithRoom(r, 24, 4);
    });
    records.forEach((r, i) => {
      const f = framed[i] as Buffer;
      expect(f.subarray(24, f.length - 4).equals(oracle(r))).toBe(true);
    });
  });
});

describe('validation fused into the encoder', () => {
  /** Ways to break a valid record, each at a random place. */
  const badValueArb: fc.Arbitrary<unknown> = fc.constantFrom(
    'a\ud800b',
    '\udc00',
    2n ** 63n,
    -(2n ** 63n) - 1n,
    undefined,
    { values: 'no' },
    new Date(0),
    Symbol('s'),
    () => 1,
    deepValue(33),
  );

  const breakArb = fc.oneof(
    fc.record({
      field: fc.constantFrom('timeUnixNano', 'observedTimeUnixNano'),
      value: fc.constantFrom(-1n, 2n ** 64n, 5, undefined),
    }),
    fc.record({
      field: fc.constantFrom('severityNumber'),
      value: fc.constantFrom(1.5, 2 ** 31, -(2 ** 31) - 1, NaN, '1', 1n),
    }),
    fc.record({
      field: fc.constantFrom('droppedAttributesCount', 'flags'),
      value: fc.constantFrom(-1, 2 ** 32, 0.5, NaN, Infinity, '0'),
    }),
    fc.record({
      field: fc.constantFrom('traceId'),
      value: fc.constantFrom('A'.repeat(32), 'g'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), 5, undefined),
    }),
    fc.record({
      field: fc.constantFrom('spanId'),
      value: fc.constantFrom('F'.repeat(16), 'a'.repeat(15), ' '.repeat(16), null),
    }),
    fc.record({
      field: fc.constantFrom('severityText', 'eventName'),
      value: fc.constantFrom('\ud800', 5, undefined, null),
    }),
    fc.record({ field: fc.constantFrom('body'), value: badValueArb }),
    fc.record({ field: fc.constantFrom('attributes'), value: fc.constantFrom(null, 'x', { length: 0 }) }),
    fc.record({ field: fc.constantFrom('attribute'), value: badValueArb }),
    fc.record({ field: fc.constantFrom('attributeEntry'), value: fc.constantFrom(null, 5, 'kv') }),
    fc.record({ field: fc.constantFrom('attributeKey'), value: fc.constantFrom('\ud800', 5, undefined) }),
    fc.record({ field: fc.constantFrom('nested'), value: badValueArb }),
    fc.record({ field: fc.constantFrom('resourceAttribute', 'scopeAttribute'), value: badValueArb }),
    fc.record({
      field: fc.constantFrom('resourceField', 'scopeField'),
      value: fc.constantFrom('\udfff', -1, 2 ** 32, undefined),
    }),
    fc.record({
      field: fc.constantFrom('resource', 'scope', 'record'),
      value: fc.constantFrom(null, 5, undefined),
    }),
  );

  it('refuses exactly what validateRecord refuses, with the same error (class, code, message, path)', () => {
    fc.assert(
      fc.property(recordArb(), breakArb, fc.nat(), (record, broken, at) => {
        const bad = breakRecord(record, broken.field, broken.value, at);
        const expected = errorOf(() => validateRecord(bad));
        const actual = errorOf(() => encodeRecord(bad));
        expect(actual).toEqual(expected);
        if (expected === undefined) expect(encoded(bad).equals(oracle(bad))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

interface ErrorShape {
  readonly name: string;
  readonly code: unknown;
  readonly message: string;
  readonly path: unknown;
}

function errorOf(fn: () => unknown): ErrorShape | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RecordInvalidError);
    const e = error as RecordInvalidError;
    return { name: e.constructor.name, code: e.code, message: e.message, path: e.path };
  }
  return undefined;
}

function deepValue(levels: number): AnyValue {
  let v: AnyValue = 'leaf';
  for (let i = 1; i < levels; i++) v = i % 2 === 0 ? [v] : { values: [{ key: 'k', value: v }] };
  return v;
}

/** A copy of `record` with `value` put at the place `field` names (`at` picks among candidates). */
function breakRecord(record: AuditRecord, field: string, value: unknown, at: number): AuditRecord {
  const r = { ...record, attributes: [...record.attributes] } as Record<string, unknown> & AuditRecord;
  const entry = (v: unknown): KeyValue => ({ key: 'k', value: v as AnyValue });
  const insert = <T>(list: readonly T[], item: T): T[] => {
    const out = [...list];
    out.splice(at % (out.length + 1), 0, item);
    return out;
  };
  switch (field) {
    case 'record':
      return value as AuditRecord;
    case 'attribute':
      r.attributes = insert(r.attributes, entry(value));
      return r;
    case 'attributeEntry':
      r.attributes = insert(r.attributes, value as KeyValue);
      return r;
    case 'attributeKey':
      r.attributes = insert(r.attributes, { key: value as string, value: 1n });
      return r;
    case 'nested':
      r.body = [1n, { values: [entry('ok'), entry([value as AnyValue])] }];
      return r;
    case 'resourceAttribute':
      r.resource = createAuditResource({ attributes: insert(record.resource.attributes, entry(value)) });
      return r;
    case 'scopeAttribute':
      r.scope = createAuditScope({ name: 'n', attributes: insert(record.scope.attributes, entry(value)) });
      return r;
    case 'resourceField': {
      const key = (['droppedAttributesCount', 'schemaUrl'] as const)[at % 2] as string;
      r.resource = { ...record.resource, [key]: value };
      return r;
    }
    case 'scopeField': {
      const key = (['name', 'version', 'droppedAttributesCount', 'schemaUrl'] as const)[at % 4] as string;
      r.scope = { ...record.scope, [key]: value };
      return r;
    }
    default:
      r[field] = value;
      return r;
  }
}
