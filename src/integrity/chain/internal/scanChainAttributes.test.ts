import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue } from '../../../record/AnyValue.ts';
import { createAuditRecord } from '../../../record/AuditRecord.ts';
import {
  anyValueArb,
  int64Arb,
  keyValuesArb,
  recordArb,
  resourceArb,
} from '../../../record/testutil/arbitraries.ts';
import { decodeRecord, encodeRecord } from '../../../record/walCodec.ts';
import { hostileRecordPayload } from '../../verify/testutil/hostilePayload.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../../names.ts';
import { attr } from './chainFacts.ts';
import { OTHER_VALUE, scanChainAttributes, type ScannedValue } from './scanChainAttributes.ts';

const CHAIN_KEYS = [
  ATTR_SEQUENCE_STREAM_ID,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_INTEGRITY_HASH,
];

/** What `attr` of the decoded record gives, in the scanner's terms. */
function expected(value: unknown, present: boolean): ScannedValue {
  if (!present) return undefined;
  return typeof value === 'string' || typeof value === 'bigint' ? value : OTHER_VALUE;
}

/** The scanner read the chain attributes that decoding then `attr()` reads. */
function expectSameChainAttributes(
  scanned: ReturnType<typeof scanChainAttributes>,
  decoded: ReturnType<typeof decodeRecord>,
): void {
  const want = CHAIN_KEYS.map((k) =>
    expected(
      attr(decoded, k),
      decoded.attributes.some((kv) => kv.key === k),
    ),
  );
  expect([scanned.streamId, scanned.number, scanned.previousHash, scanned.integrityHash]).toEqual(want);
}

const chainKvArb: fc.Arbitrary<KeyValue> = fc.record({
  key: fc.constantFrom(...CHAIN_KEYS, 'audit.sequence.numbe', 'audit.integrity.hash2', ''),
  value: fc.oneof(fc.string({ maxLength: 70 }), int64Arb, anyValueArb, fc.constant(null)),
});

/** Chain attributes (duplicates, every value kind, near-miss keys) mixed into other attributes. */
const attributesArb = fc
  .tuple(keyValuesArb, fc.array(chainKvArb, { maxLength: 8 }))
  .chain(([others, chain]) =>
    fc.shuffledSubarray([...others, ...chain], { minLength: others.length + chain.length }),
  );

function encodable(record: ReturnType<typeof createAuditRecord>): Uint8Array | undefined {
  try {
    return encodeRecord(record);
  } catch {
    return undefined;
  }
}

describe('scanChainAttributes', () => {
  it('reads what decoding then attr() reads, for any record', () => {
    fc.assert(
      fc.property(
        recordArb(
          resourceArb.map((r) => ({
            ...r,
            attributes: [...r.attributes, { key: ATTR_SEQUENCE_STREAM_ID, value: 'res' }],
          })),
        ),
        attributesArb,
        (base, attributes) => {
          const record = { ...base, attributes };
          const payload = encodable(record);
          fc.pre(payload !== undefined);
          const decoded = decodeRecord(payload);
          const scanned = scanChainAttributes(payload);
          expectSameChainAttributes(scanned, decoded);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads only the record attributes: not the resource, the scope, nor keys inside a kvlist value', () => {
    const nested: AnyValue = { values: [{ key: ATTR_SEQUENCE_STREAM_ID, value: 'nested' }] };
    const record = createAuditRecord({
      body: nested,
      attributes: [
        { key: 'x', value: nested },
        { key: ATTR_SEQUENCE_NUMBER, value: 7n },
        { key: ATTR_SEQUENCE_NUMBER, value: 8n },
      ],
      resource: {
        attributes: [{ key: ATTR_SEQUENCE_STREAM_ID, value: 'resource' }],
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
      scope: {
        name: 's',
        version: '',
        attributes: [{ key: ATTR_INTEGRITY_HASH, value: 'scope' }],
        droppedAttributesCount: 0,
        schemaUrl: '',
      },
    });
    expect(scanChainAttributes(encodeRecord(record))).toEqual({
      streamId: undefined,
      number: 7n,
      previousHash: undefined,
      integrityHash: undefined,
    });
  });

  it('reads a frame of millions of empty attributes in constant memory', () => {
    const payload = hostileRecordPayload(4_000_000);
    const heapBefore = process.memoryUsage().heapUsed;
    expect(scanChainAttributes(payload)).toEqual({
      streamId: undefined,
      number: undefined,
      previousHash: undefined,
      integrityHash: undefined,
    });
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses what it cannot read as exactly as decoding would (RecordDecodeError)', () => {
    const kv = (key: number[], value: number[]): number[] => [
      0x32,
      key.length + value.length,
      ...key,
      ...value,
    ];
    const key = (k: string): number[] => [0x0a, k.length, ...Buffer.from(k)];
    const strValue = (v: string): number[] => [0x12, v.length + 2, 0x0a, v.length, ...Buffer.from(v)];
    const payload = (logRecord: number[], records = 1): Uint8Array => {
      const lr = Array.from({ length: records }, () => [0x12, logRecord.length, ...logRecord]).flat();
      const sl = [0x12, lr.length, ...lr];
      return Uint8Array.from([1, 0x0a, sl.length, ...sl]);
    };
    const id = 'audit.sequence.stream_id';
    const good = payload(kv(key(id), strValue('s')));
    expect(scanChainAttributes(good).streamId).toBe('s');
    const bad: Record<string, Uint8Array> = {
      'unknown version': Uint8Array.from([2, ...good.subarray(1)]),
      empty: new Uint8Array(0),
      truncated: good.subarray(0, good.length - 1),
      'two log records': payload(kv(key(id), strValue('s')), 2),
      'no log record': Uint8Array.from([1, 0x0a, 0]),
      'key given twice': payload(kv([...key(id), ...key(id)], strValue('s'))),
      'value given twice': payload(kv(key(id), [...strValue('s'), ...strValue('t')])),
      'two kinds in one value': payload(kv(key(id), [0x12, 5, 0x0a, 1, 0x73, 0x18, 1])),
      'invalid UTF-8 value': payload(kv(key(id), [0x12, 3, 0x0a, 1, 0xff])),
      'attributes as a varint': payload([0x30, 1]),
      'a group': payload([0x5b, 0x5c]),
      'wire type 7': payload([0x57]),
      'field number 0': payload([0x02, 0]),
      'an overlong varint': payload([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    };
    // Fields in any order: the value before the key.
    const valueFirst = payload(kv(strValue('s'), key(id)));
    expect(scanChainAttributes(valueFirst).streamId).toBe('s');
    expect(attr(decodeRecord(valueFirst), id)).toBe('s');
    for (const [name, bytes] of Object.entries(bad)) {
      expect(() => scanChainAttributes(bytes), name).toThrow(
        expect.objectContaining({ code: 'RECORD_DECODE' }),
      );
    }
    // The decoder refuses these too.
    for (const name of [
      'unknown version',
      'truncated',
      'two log records',
      'no log record',
      'invalid UTF-8 value',
    ]) {
      expect(() => decodeRecord(bad[name] as Uint8Array), name).toThrow();
    }
  });

  it('on damaged payloads, throws only RecordDecodeError, and agrees with decoding whenever both read', () => {
    const base = createAuditRecord({
      body: { values: [{ key: 'k', value: [1n, 'two', 3.5] }] },
      attributes: [
        { key: 'user', value: 'alice' },
        { key: ATTR_SEQUENCE_STREAM_ID, value: 's' },
        { key: ATTR_SEQUENCE_NUMBER, value: 12n },
        { key: ATTR_SEQUENCE_PREVIOUS_HASH, value: 'ab'.repeat(32) },
        { key: ATTR_INTEGRITY_HASH, value: 'cd'.repeat(32) },
      ],
    });
    const good = encodeRecord(base);
    let compared = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 2,
        }),
        // Truncated in one case of five.
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 4 },
          { arbitrary: fc.nat(good.length - 1), weight: 1 },
        ),
        (changes, cut) => {
          // A copy (encodeRecord's Buffer's own slice would be a view), maybe truncated.
          const bytes = new Uint8Array(good.subarray(0, cut === undefined ? good.length : Math.max(1, cut)));
          for (const [at, value] of changes) if (at > 0 && at < bytes.length) bytes[at] = value;
          let scanned;
          try {
            scanned = scanChainAttributes(bytes);
          } catch (err) {
            expect(err).toMatchObject({ code: 'RECORD_DECODE' });
            return;
          }
          let decoded;
          try {
            decoded = decodeRecord(bytes);
          } catch {
            return;
          }
          expectSameChainAttributes(scanned, decoded);
          compared++;
        },
      ),
      { numRuns: 3000 },
    );
    // About a quarter of the damaged payloads still decode (a changed string byte, an int): the comparison is not vacuous.
    expect(compared).toBeGreaterThan(300);
  });
});
