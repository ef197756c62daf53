import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { resolveDecodeLimits, type DecodeLimits } from '../../record/DecodeLimits.ts';
import { batchArb, recordArb } from '../../record/testutil/arbitraries.ts';
import { encodeOtlpLogsProtobuf } from '../protobufCodec.ts';
import { concat, len, tag, varint } from '../testutil/wire.ts';
import { requestWireArb } from '../testutil/wireArbitraries.ts';
import { decodeGeneral } from './decodeGeneral.ts';
import { decodeFast } from './fastDecode.ts';

const DEFAULTS = resolveDecodeLimits();

/** Small limits, so that they are hit by small inputs. */
const limitsArb: fc.Arbitrary<DecodeLimits> = fc
  .record({
    recordCountMax: fc.integer({ min: 0, max: 4 }),
    attributeCountMax: fc.integer({ min: 0, max: 3 }),
    arrayLengthMax: fc.integer({ min: 0, max: 3 }),
    anyValueDepthMax: fc.integer({ min: 1, max: 4 }),
    stringBytesMax: fc.integer({ min: 0, max: 12 }),
    bytesLengthMax: fc.integer({ min: 0, max: 4 }),
    elementCountMax: fc.integer({ min: 0, max: 40 }),
  })
  .map((l) => resolveDecodeLimits(l));

type Outcome = { records: AuditRecord[] } | { error: unknown };

function general(bytes: Uint8Array, limits: DecodeLimits): Outcome {
  try {
    return { records: decodeGeneral(bytes, limits) };
  } catch (error) {
    return { error };
  }
}

/** Whatever the one-pass decoder takes, it decodes exactly as the general decoder. */
function expectSameAsGeneral(bytes: Uint8Array, limits: DecodeLimits): 'taken' | 'left' {
  const fast = decodeFast(bytes, limits);
  if (fast === undefined) return 'left';
  const reference = general(bytes, limits);
  expect(reference).toStrictEqual({ records: fast });
  for (let i = 0; i < fast.length; i++) {
    const r = fast[i] as AuditRecord;
    expect(Object.isFrozen(r.resource) && Object.isFrozen(r.resource.attributes)).toBe(true);
    expect(Object.isFrozen(r.scope) && Object.isFrozen(r.scope.attributes)).toBe(true);
    // records of one ScopeLogs share their resource and scope objects, as the general decoder's
    const g = (reference as { records: AuditRecord[] }).records;
    for (let j = 0; j < i; j++) {
      expect(r.resource === fast[j]?.resource).toBe(g[i]?.resource === g[j]?.resource);
      expect(r.scope === fast[j]?.scope).toBe(g[i]?.scope === g[j]?.scope);
    }
  }
  return 'taken';
}

describe('decodeFast (one pass) against the general decoder (scan + protobufjs + conversion)', () => {
  it('takes every request the encoder writes and decodes it identically', () => {
    fc.assert(
      fc.property(batchArb, ({ records }) => {
        const bytes = encodeOtlpLogsProtobuf(records);
        expect(expectSameAsGeneral(bytes, DEFAULTS)).toBe('taken');
        expect(expectSameAsGeneral(Buffer.from(bytes), DEFAULTS)).toBe('taken');
      }),
      { numRuns: 300 },
    );
  });

  it('agrees on requests built field by field: repeats, merges, stray fields, odd varints, small limits', () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(requestWireArb, fc.option(limitsArb, { freq: 3 }), (bytes, limits) => {
        runs++;
        if (expectSameAsGeneral(bytes, limits ?? DEFAULTS) === 'taken') taken++;
      }),
      { numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(runs / 10); // the comparison is not vacuous
  });

  it('takes unknown fields of every wire type at every level and skips them exactly', () => {
    // looks like a string field to a decoder that loses its place
    const unknown = concat(
      tag(90, 2),
      len(Uint8Array.of(0x0a, 0x01, 0x41)),
      tag(91, 0),
      varint(300),
      tag(92, 1),
      new Uint8Array(8).fill(0x0a),
      tag(93, 5),
      new Uint8Array(4).fill(0x12),
    );
    const str = (n: number, s: string): Uint8Array => concat(tag(n, 2), len(Buffer.from(s)));
    const msg = (n: number, ...parts: Uint8Array[]): Uint8Array =>
      concat(tag(n, 2), len(concat(...parts, unknown)));
    const anyValue = (n: number, s: string): Uint8Array => msg(n, str(1, s));
    const keyValue = (n: number, k: string, v: string): Uint8Array => msg(n, str(1, k), anyValue(2, v));
    const bytes = concat(
      msg(
        1,
        msg(1, keyValue(1, 'service.name', 'api')),
        msg(
          2,
          msg(1, str(1, 'lib'), keyValue(3, 'sk', 'sv')),
          msg(
            2,
            str(3, 'INFO'),
            anyValue(5, 'body'),
            keyValue(6, 'a', 'b'),
            msg(6, str(1, 'arr'), msg(2, msg(5, anyValue(1, 'x')))),
          ),
          str(3, 'https://scope'),
        ),
        str(3, 'https://resource'),
      ),
      unknown,
    );
    expect(expectSameAsGeneral(bytes, DEFAULTS)).toBe('taken');
    const [record] = decodeFast(bytes, DEFAULTS) ?? [];
    expect(record?.body).toBe('body');
    expect(record?.attributes).toEqual([
      { key: 'a', value: 'b' },
      { key: 'arr', value: ['x'] },
    ]);
    expect(record?.resource.schemaUrl).toBe('https://resource');
    expect(record?.scope).toMatchObject({
      name: 'lib',
      schemaUrl: 'https://scope',
      attributes: [{ key: 'sk', value: 'sv' }],
    });
  });

  it('reads a bool whose only set bits are past the 64th as protobufjs does (true)', () => {
    // AnyValue{bool_value: varint 2^64} in a record's body: 9 bytes 0x80, then 0x02
    const boolValue = concat(
      tag(2, 0),
      Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02),
    );
    const logRecord = concat(tag(5, 2), len(boolValue));
    const bytes = concat(tag(1, 2), len(concat(tag(2, 2), len(concat(tag(2, 2), len(logRecord))))));
    expect(general(bytes, DEFAULTS)).toMatchObject({ records: [{ body: true }] });
    expect(expectSameAsGeneral(bytes, DEFAULTS)).toBe('taken');
  });

  it('agrees on field-by-field requests after byte mutations (set, truncate, insert, delete), with small limits', () => {
    const mutationArb = fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('set', 'cut', 'insert', 'delete'));
    fc.assert(
      fc.property(
        requestWireArb,
        fc.option(limitsArb),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (request, limits, mutations) => {
          let bytes: Uint8Array = request.slice();
          for (const [at, value, kind] of mutations) {
            if (bytes.length === 0) break;
            const i = at % bytes.length;
            if (kind === 'set') bytes[i] = value;
            else if (kind === 'cut') bytes = bytes.subarray(0, i);
            else if (kind === 'insert')
              bytes = concat(bytes.subarray(0, i), Uint8Array.of(value), bytes.subarray(i));
            else bytes = concat(bytes.subarray(0, i), bytes.subarray(i + 1));
          }
          expectSameAsGeneral(bytes, limits ?? DEFAULTS);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees on damaged requests and random bytes', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb(), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.nat(7),
        fc.uint8Array({ minLength: 1, maxLength: 4 }),
        (records, at, bit, inserted) => {
          const bytes = encodeOtlpLogsProtobuf(records);
          const i = at % bytes.length;
          const flipped = bytes.slice();
          flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
          const spliced = Uint8Array.from([...bytes.subarray(0, i), ...inserted, ...bytes.subarray(i)]);
          for (const damaged of [bytes.subarray(0, i), flipped, spliced])
            expectSameAsGeneral(damaged, DEFAULTS);
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        expectSameAsGeneral(bytes, DEFAULTS);
      }),
      { numRuns: 1000 },
    );
  });
});
