/**
 * THE INVARIANT of the wire-level projection (wireProjection.ts): for every
 * payload, either it declines, or its bytes, its hash and its chain
 * attributes are exactly those of the old path — `canonicalRecordBytes`,
 * `recordHashHex` and `attr` of `decodeRecord(payload)`. A payload that
 * decoding rejects is never taken. Checked on random records as
 * `encodeRecord` writes them (all taken), chained records as `ChainState`
 * stamps them, the known-answer vectors, requests built field by field
 * (repeats, merges, stray fields, odd varints, invalid UTF-8...), and
 * randomly bit-flipped, truncated, extended and spliced payloads.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, len, tag } from '../../otlp/testutil/wire.ts';
import { requestWireArb } from '../../otlp/testutil/wireArbitraries.ts';
import { decodeOtlpLogsJson } from '../../otlp/jsonCodec.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../../record/AuditRecord.ts';
import { recordArb } from '../../record/testutil/arbitraries.ts';
import { decodeRecord, encodeRecord } from '../../record/walCodec.ts';
import { ChainState } from '../chain/ChainState.ts';
import { decodeForVerify } from '../verify/internal/decodeForVerify.ts';
import { canonicalRecordBytes, recordHashHex } from './projection.ts';
import { loadVectorJson, utf8 } from './testutil/vectors.ts';
import { checkWire } from './testutil/wireDifferential.ts';
import { wireCanonicalBytes, wireRecordHash } from './wireProjection.ts';

const check = (payload: Uint8Array): boolean => checkWire(payload);

const payloadOf = (protobuf: Uint8Array): Uint8Array => concat(Uint8Array.of(1), protobuf);

/** Damage: flip bits, cut, extend, or overwrite a run of bytes. */
const damagedArb = (payload: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc
      .array(fc.tuple(fc.nat(payload.length - 1), fc.integer({ min: 0, max: 7 })), {
        minLength: 1,
        maxLength: 3,
      })
      .map((flips) => {
        const out = Uint8Array.from(payload);
        for (const [at, bit] of flips) out[at] = (out[at] as number) ^ (1 << bit);
        return out;
      }),
    fc.nat(payload.length).map((n) => payload.subarray(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((extra) => concat(payload, extra)),
    fc.tuple(fc.nat(payload.length - 1), fc.uint8Array({ minLength: 1, maxLength: 3 })).map(([at, bytes]) => {
      const out = Uint8Array.from(payload);
      out.set(bytes.subarray(0, out.length - at), at);
      return out;
    }),
  );

const recordDamageArb = recordArb().chain((record) => {
  const payload = encodeRecord(record);
  return damagedArb(payload);
});

function chained(records: AuditRecord[], stored: (record: AuditRecord, i: number) => void): Uint8Array[] {
  const chain = new ChainState('stream-1');
  return records.map((record, i) => {
    const r = { ...record, attributes: [...record.attributes] };
    chain.link(r);
    stored(r, i);
    return encodeRecord(r);
  });
}

describe('wire projection = projection of the decoded record', () => {
  it('takes every record encodeRecord writes, and writes the same bytes, hash and chain attributes', () => {
    fc.assert(
      fc.property(recordArb(), (record) => {
        expect(check(encodeRecord(record))).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('takes chained records as the chain stamps them (and ones changed after)', () => {
    fc.assert(
      fc.property(fc.array(recordArb(), { minLength: 1, maxLength: 5 }), fc.nat(4), (records, touched) => {
        const payloads = chained(records, (r, i) => {
          if (i === touched % records.length) r.eventName += 'x'; // modified after it was chained
        });
        for (const p of payloads) expect(check(p)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees on the known-answer vectors (testdata/integrity/vectors/records.json)', () => {
    const V = loadVectorJson<{ records: { name: string; otlpJson: unknown; sha256: string }[] }>(
      'records.json',
    );
    for (const v of V.records) {
      const [record] = decodeOtlpLogsJson(JSON.stringify(v.otlpJson));
      const payload = encodeRecord(record as AuditRecord);
      expect(check(payload), v.name).toBe(true);
      expect(wireRecordHash(payload, Infinity)?.hashHex, v.name).toBe(v.sha256);
    }
  });

  it('never takes what decoding rejects, and agrees on what it takes: requests built field by field', () => {
    // Most of these hold several records or none, or repeat fields: decoding rejects many, the wire path
    // takes few (it may take none in a run); whatever it takes must agree.
    fc.assert(
      fc.property(requestWireArb, (protobuf) => {
        check(payloadOf(protobuf));
      }),
      { numRuns: 4000 },
    );
  });

  it('never takes what decoding rejects, and agrees on what it takes: damaged payloads', () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(recordDamageArb, (payload) => {
        runs++;
        if (check(payload)) taken++;
      }),
      { numRuns: 4000 },
    );
    expect(taken).toBeGreaterThan(runs / 50);
    expect(taken).toBeLessThan(runs);
  });

  it('declines what it does not handle: another version, stray and repeated fields, wrong id sizes', () => {
    const plain = encodeRecord(createAuditRecord({ eventName: 'e' }));
    expect(check(plain)).toBe(true);
    expect(wireRecordHash(Uint8Array.of(2, ...plain.subarray(1)), Infinity)).toBeUndefined();
    expect(wireRecordHash(new Uint8Array(0), Infinity)).toBeUndefined();
    // An unknown field in the LogRecord: decoding skips it, the wire path leaves it to decoding.
    const record = concat(tag(12, 2), len(Buffer.from('e')), tag(20, 0), Uint8Array.of(1));
    const odd = payloadOf(concat(tag(1, 2), len(concat(tag(2, 2), len(concat(tag(2, 2), len(record)))))));
    expect(wireRecordHash(odd, Infinity)).toBeUndefined();
    expect(canonicalRecordBytes(decodeRecord(odd))).toStrictEqual(canonicalRecordBytes(decodeRecord(plain)));
  });

  it('leaves audit.integrity.* out of the record, resource and scope lists, and still checks their values', () => {
    const integrity = [
      { key: 'audit.integrity.hash', value: 'h' },
      { key: 'audit.integrity', value: 'kept: no dot' },
      { key: 'audit.integrity.value', value: { values: [{ key: 'audit.integrity.x', value: 1n }] } },
      { key: 'audit.integrity.', value: [1.5, null, new Uint8Array([1, 2])] },
    ];
    const record = createAuditRecord({
      resource: createAuditResource({ attributes: [...integrity, { key: 'service.name', value: 's' }] }),
      scope: createAuditScope({ name: 'n', attributes: integrity }),
      attributes: [...integrity, ...integrity],
      body: { values: integrity },
    });
    const payload = encodeRecord(record);
    expect(check(payload)).toBe(true);
    expect(utf8(wireCanonicalBytes(payload) as Uint8Array)).toContain('"kept: no dot"');
    // The excluded value 'h' made invalid UTF-8 (0xff): decoding rejects the record, the wire path declines.
    const at = Buffer.from(payload).indexOf(Buffer.from('audit.integrity.hash\x12\x03\x0a\x01h', 'latin1'));
    expect(at).toBeGreaterThan(0);
    const broken = Uint8Array.from(payload);
    broken[at + 'audit.integrity.hash'.length + 4] = 0xff;
    expect(() => decodeRecord(broken)).toThrow();
    expect(wireRecordHash(broken, Infinity)).toBeUndefined();
  });

  it('declines a payload over its element budget, as decodeForVerify refuses it', () => {
    const record = createAuditRecord({
      attributes: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: BigInt(i) })),
    });
    const payload = encodeRecord(record);
    const all = wireRecordHash(payload, Infinity);
    // LogsData→ResourceLogs, ScopeLogs, LogRecord (no resource / scope messages), 10 KeyValues + 10 AnyValues.
    expect(all?.elements).toBe(23);
    expect(wireRecordHash(payload, 23)?.hashHex).toBe(recordHashHex(record));
    expect(wireRecordHash(payload, 22)).toBeUndefined();
    expect(() => decodeForVerify(payload, 22)).toThrow(
      expect.objectContaining({
        code: 'DECODE_LIMIT',
        message: expect.stringMatching(/more than 22 protobuf elements/),
      }),
    );
    // At the budget both take it: decodeForVerify gives the record itself, whose hash the wire path computed.
    const decoded = decodeForVerify(payload, 23);
    expect(decoded).toEqual(record);
    expect(recordHashHex(decoded)).toBe(all?.hashHex);
  });

  it('hashes a projection larger than its scratch in pieces, with the same hash', () => {
    const record = createAuditRecord({
      body: 'x"\\\n'.repeat(60_000) + 'é😀',
      attributes: [
        { key: 'big', value: new Uint8Array(200_001).fill(7) },
        { key: 'audit.integrity.value', value: 'y'.repeat(300_000) },
        ...Array.from({ length: 20_000 }, (_, i) => ({ key: '', value: i % 2 ? null : BigInt(-i) })),
      ],
    });
    const payload = encodeRecord(record);
    expect(check(payload)).toBe(true);
    const bytes = canonicalRecordBytes(record);
    expect(bytes.length).toBeGreaterThan(1_000_000);
    expect(wireRecordHash(payload, Infinity)?.hashHex).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
