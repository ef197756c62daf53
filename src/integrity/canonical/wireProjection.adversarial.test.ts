/**
 * Adversarial differential tests of the wire-level projection
 * (wireProjection.ts) against decodeRecord + the record projection
 * (testutil/wireDifferential.ts): payloads in the single-record form the wire
 * path takes, with every field in any order, at its default or absent, and
 * the byte-level oddities a tampered WAL can hold — duplicated singular
 * fields, unknown fields, group and wrong wire types, reserved field 4,
 * non-minimal / 10-byte / over-long varints, negative int32s, zero-length
 * messages, keys and values out of order or missing, invalid UTF-8 (overlong
 * forms, surrogates, beyond U+10FFFF, truncated), U+2028 / U+2029 / U+FFFD /
 * BOM, control characters, doubles of every class, bytes of every base64
 * padding, duplicated / misplaced / mistyped chain attributes and
 * `audit.integrity.*` look-alikes. For each: the wire path declines, or it
 * gives decoding's bytes, hash, chain attributes and element count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, len, tag } from '../../otlp/testutil/wire.ts';
import { anyValueWireArb, varintOf } from '../../otlp/testutil/wireArbitraries.ts';
import { decodeRecord } from '../../record/walCodec.ts';
import { checkWire, oldPath } from './testutil/wireDifferential.ts';
import { wireRecordHash } from './wireProjection.ts';

const ld = (n: number, bytes: Uint8Array): Uint8Array => concat(tag(n, 2), len(bytes));
const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);
const text = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const le64 = (hi: number, lo: number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(lo, 0);
  b.writeUInt32LE(hi, 4);
  return new Uint8Array(b);
};
const doubleBytes = (x: number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return new Uint8Array(b);
};

/** String bytes: valid, and every kind of invalid or special UTF-8. */
const stringBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map(text) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 4 }).map(text) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      u8(),
      u8(0xef, 0xbb, 0xbf), // BOM
      u8(0xef, 0xbb, 0xbf, 0x61),
      u8(0xe2, 0x80, 0xa8), // U+2028
      u8(0xe2, 0x80, 0xa9), // U+2029
      u8(0xef, 0xbf, 0xbd), // U+FFFD
      u8(0x7f),
      u8(0x00),
      u8(0x1f, 0x08, 0x0c, 0x0a, 0x0d, 0x09),
      u8(0x22, 0x5c, 0x2f),
      u8(0xf4, 0x8f, 0xbf, 0xbf), // U+10FFFF
      u8(0xf0, 0x9f, 0x98, 0x80), // U+1F600
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      u8(0xc0, 0x80), // overlong NUL
      u8(0xc1, 0xbf), // overlong
      u8(0xe0, 0x80, 0x80), // overlong
      u8(0xf0, 0x80, 0x80, 0x80), // overlong
      u8(0xed, 0xa0, 0x80), // lone high surrogate (CESU)
      u8(0xed, 0xbf, 0xbf), // lone low surrogate
      u8(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80), // surrogate pair in CESU-8
      u8(0xf4, 0x90, 0x80, 0x80), // beyond U+10FFFF
      u8(0x80), // lone continuation
      u8(0xe2, 0x82), // truncated
      u8(0x61, 0xff),
      u8(0xf8, 0x88, 0x80, 0x80, 0x80),
    ),
  },
  {
    weight: 1,
    // Longer than a piece (24576 bytes), a 4-byte character across the boundary, escapes around it.
    arbitrary: fc.constantFrom(
      text('a'.repeat(24_574) + '😀"\n' + 'b'.repeat(10)),
      concat(text('a'.repeat(24_575)), u8(0xed, 0xa0, 0x80)),
      text('\u2028'.repeat(9000)),
    ),
  },
);

const CHAIN_KEYS = [
  'audit.sequence.stream_id',
  'audit.sequence.number',
  'audit.sequence.previous_hash',
  'audit.integrity.hash',
  'audit.integrity.value',
];

const keyBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CHAIN_KEYS).map(text) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        'audit.integrity.',
        'audit.integrity',
        'audit.integrity.x',
        'audit.integrity.hash ',
        'Audit.integrity.hash',
        'audit.sequence.number\u0000',
        'audit.sequence.numbe',
        'audit.sequence.',
        'audit.',
        'audit.integrit\u00e9.hash',
        'service.name',
        '',
      )
      .map(text),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      concat(text('audit.integrity.'), u8(0xff)),
      concat(text('audit.integrity.hash'), u8(0xc0, 0x80)),
      concat(text('audit.sequence.number'.slice(0, -1)), u8(0xc0)),
    ),
  },
  { weight: 2, arbitrary: stringBytesArb },
);

/** A varint as any writer (or an attacker) may write it. */
const varintBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { depthSize: 'small' },
  fc.tuple(fc.bigInt({ min: 0n, max: 300n }), fc.constantFrom(0, 0, 0, 1, 4)).map(([v, p]) => varintOf(v, p)),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => varintOf(v)),
  fc
    .constantFrom(
      1n,
      2n ** 31n - 1n,
      2n ** 31n,
      2n ** 32n - 1n,
      2n ** 32n,
      2n ** 53n + 1n,
      2n ** 63n,
      2n ** 64n - 1n,
    )
    .map((v) => varintOf(v)),
  // negative int32 / int64 (sign-extended to 10 bytes), bits beyond the 64th, 11 bytes (invalid)
  fc.bigInt({ min: -(2n ** 63n), max: -1n }).map((v) => varintOf(BigInt.asUintN(64, v))),
  fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n - 1n }).map((v) => varintOf(v)),
  fc.constantFrom(
    u8(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00), // 11 bytes
    u8(0xff, 0xff, 0xff, 0xff, 0x0f),
    u8(0xff, 0xff, 0xff, 0xff, 0x1f),
    u8(0x80), // truncated
  ),
);

const doubleArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc
    .constantFrom(
      NaN,
      -0,
      0,
      Infinity,
      -Infinity,
      Number.MIN_VALUE,
      -Number.MIN_VALUE,
      Number.MAX_VALUE,
      1e21,
      1e-7,
      0.1,
      2 ** 53 + 2,
    )
    .map(doubleBytes),
  fc.constantFrom(
    le64(0x7ff80000, 1),
    le64(0xfff80000, 0),
    le64(0x7ff00000, 1),
    le64(0x000fffff, 0xffffffff),
  ),
  fc.uint8Array({ minLength: 8, maxLength: 8 }),
  fc.uint8Array({ minLength: 7, maxLength: 7 }), // short
);

/** An AnyValue message: one member of each kind, none, two, an unknown or group field, or nested ones. */
const valueArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: stringBytesArb.map((s) => ld(1, s)) },
  { weight: 3, arbitrary: varintBytesArb.map((v) => concat(tag(3, 0), v)) },
  { weight: 1, arbitrary: varintBytesArb.map((v) => concat(tag(2, 0), v)) },
  { weight: 2, arbitrary: doubleArb.map((d) => concat(tag(4, 1), d)) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.constantFrom(0, 1, 2, 3, 24_577), fc.nat(40))
      .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
      .map((b) => ld(7, b)),
  },
  { weight: 1, arbitrary: fc.constant(u8()) },
  { weight: 2, arbitrary: anyValueWireArb },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      concat(ld(1, text('a')), tag(3, 0), u8(1)), // two members
      concat(ld(1, text('a')), ld(1, text('b'))), // a member repeated
      concat(tag(3, 0), u8(5), tag(3, 0), u8(6)),
      concat(tag(1, 3), tag(1, 4)), // group
      concat(ld(1, text('a')), tag(9, 0), u8(1)), // unknown field after
      concat(tag(9, 0), u8(1), ld(1, text('a'))), // unknown field before
      concat(tag(1, 0), u8(1)), // known field, wrong wire type
      concat(tag(3, 2), len(u8(1))),
      ld(5, u8()), // empty array
      ld(6, u8()), // empty kvlist
      ld(6, ld(1, u8())), // kvlist of one empty KeyValue
      ld(5, ld(1, u8())), // array of one empty AnyValue
      ld(5, concat(ld(1, u8()), tag(2, 0), u8(1))), // array with a stray field
    ),
  },
);

/** A KeyValue message: key then value, reversed, either missing, repeated, or with a stray field. */
const keyValueArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 30, arbitrary: fc.tuple(keyBytesArb, valueArb).map(([k, v]) => concat(ld(1, k), ld(2, v))) },
  { weight: 1, arbitrary: fc.tuple(keyBytesArb, valueArb).map(([k, v]) => concat(ld(2, v), ld(1, k))) },
  { weight: 1, arbitrary: keyBytesArb.map((k) => ld(1, k)) },
  { weight: 1, arbitrary: valueArb.map((v) => ld(2, v)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(keyBytesArb, keyBytesArb, valueArb)
      .map(([k, k2, v]) => concat(ld(1, k), ld(2, v), ld(1, k2))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(keyBytesArb, valueArb, valueArb)
      .map(([k, v, w]) => concat(ld(1, k), ld(2, v), ld(2, w))),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(keyBytesArb, valueArb).map(([k, v]) => concat(ld(1, k), ld(2, v), tag(3, 0), u8(0))),
  },
);

/** Leaves that always decode (so a payload built of them is taken unless its structure is odd). */
const VALID = {
  string: fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('', '\ufeffa', '\u2028\u2029', '\ufffd', '\u007f', '\u0000\u001f\n', '"\\/', '😀'),
    )
    .map(text),
  key: fc.oneof(
    fc.constantFrom(...CHAIN_KEYS, 'audit.integrity.', 'audit.integrity', 'audit.integrity.x', 'k'),
    fc.string({ unit: 'binary', maxLength: 8 }),
  ),
  varint: fc.oneof(
    fc.bigInt({ min: 0n, max: 300n }).map((v) => varintOf(v)),
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => varintOf(v)),
    fc.bigInt({ min: -(2n ** 63n), max: -1n }).map((v) => varintOf(BigInt.asUintN(64, v))),
  ),
};
const validValueArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  VALID.string.map((x) => ld(1, x)),
  VALID.varint.map((v) => concat(tag(3, 0), v)),
  VALID.varint.map((v) => concat(tag(2, 0), v)),
  doubleArb.filter((d) => d.length === 8).map((d) => concat(tag(4, 1), d)),
  fc.uint8Array({ maxLength: 5 }).map((b) => ld(7, b)),
  fc.constant(u8()),
);
const validKeyValueArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(VALID.key, validValueArb)
  .map(([k, v]) => concat(ld(1, text(k)), ld(2, v)));

const fixed = (n: number, wireType: 1 | 5): fc.Arbitrary<Uint8Array> =>
  fc
    .oneof(
      fc.uint8Array({ minLength: wireType === 1 ? 8 : 4, maxLength: wireType === 1 ? 8 : 4 }),
      fc.constant(new Uint8Array(wireType === 1 ? 8 : 4)),
    )
    .map((b) => concat(tag(n, wireType), b));

/** Fields the message does not take in this form: unknown, reserved, groups, wrong wire types. */
const strayArb = (knownMax: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.integer({ min: knownMax + 1, max: 40 }).map((n) => concat(tag(n, 0), u8(1))),
    fc.integer({ min: 1, max: knownMax }).map((n) => concat(tag(n, 3), tag(n, 4))),
    fc.integer({ min: 1, max: knownMax }).map((n) => concat(tag(n, 5), u8(0, 0, 0, 0))),
    fc.integer({ min: 1, max: knownMax }).map((n) => concat(tag(n, 0), u8(0))),
    fc.constant(concat(tag(4, 2), len(u8()))), // LogRecord's reserved field 4
    fc.constant(concat(varintOf(BigInt(6 * 8 + 2), 1), len(ld(1, text('padded tag'))))),
  );

/**
 * The fields of a message (each singular at most once, `repeated` any number of times), in any order; with
 * weight `odd` against 30, one more: a stray field or a singular one again; with `dup`, always one more
 * singular field (protobuf: the last wins).
 */
function fieldsArb(
  singular: fc.Arbitrary<Uint8Array>[],
  repeated: fc.Arbitrary<Uint8Array> | undefined,
  knownMax: number,
  odd: number,
  dup = false,
): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.tuple(...singular.map((a) => fc.option(a, { freq: 2 }))),
      repeated === undefined ? fc.constant([]) : fc.array(repeated, { maxLength: 4 }),
      dup
        ? fc
            .nat(singular.length - 1)
            .chain((i) =>
              fc.tuple(singular[i] as fc.Arbitrary<Uint8Array>, singular[i] as fc.Arbitrary<Uint8Array>),
            )
        : fc.oneof(
            { weight: 30, arbitrary: fc.constant([]) },
            {
              weight: odd,
              arbitrary: fc.array(fc.oneof(strayArb(knownMax), ...singular), { minLength: 1, maxLength: 1 }),
            },
          ),
    )
    .chain(([ones, many, extra]) => shuffled([...ones.filter((x) => x !== null), ...many, ...extra]));
}

/** The parts in any order, concatenated. */
function shuffled(parts: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  if (parts.length === 0) return fc.constant(u8());
  return fc.shuffledSubarray(parts, { minLength: parts.length }).map((p) => concat(...p));
}

const traceIdArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ minLength: 16, maxLength: 16 }) },
  { weight: 2, arbitrary: fc.constant(u8()) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 17 }) },
);
const spanIdArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constant(u8()) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 9 }) },
);
/** Resources many payloads share, so that the part caches hit across payloads. */
const SHARED_RESOURCES = [
  u8(),
  ld(1, concat(ld(1, text('service.name')), ld(2, ld(1, text('s'))))),
  u8(0x10, 0),
];

type Level = 'logRecord' | 'resource' | 'scope' | 'scopeLogs' | 'resourceLogs';

/**
 * A version-1 payload in the single-record form, with oddities of weight `odd` (against 30) at every level;
 * `valid`: of leaves that decode; `dup`: that message has one singular field twice.
 */
function payloadArb(odd: number, valid = false, dup?: Level): fc.Arbitrary<Uint8Array> {
  const strings = valid ? VALID.string : stringBytesArb;
  const varints = valid ? VALID.varint : varintBytesArb;
  const values = valid ? validValueArb : valueArb;
  const keyValues = valid ? validKeyValueArb : keyValueArb;
  const traceIds = valid ? fc.uint8Array({ minLength: 16, maxLength: 16 }) : traceIdArb;
  const spanIds = valid ? fc.uint8Array({ minLength: 8, maxLength: 8 }) : spanIdArb;
  const logRecord = fieldsArb(
    [
      fixed(1, 1),
      varints.map((v) => concat(tag(2, 0), v)),
      strings.map((s) => ld(3, s)),
      values.map((v) => ld(5, v)),
      varints.map((v) => concat(tag(7, 0), v)),
      fixed(8, 5),
      traceIds.map((b) => ld(9, b)),
      spanIds.map((b) => ld(10, b)),
      fixed(11, 1),
      strings.map((s) => ld(12, s)),
    ],
    keyValues.map((kv) => ld(6, kv)),
    12,
    odd,
    dup === 'logRecord',
  );
  const resource = fc.oneof(
    fieldsArb(
      [varints.map((v) => concat(tag(2, 0), v))],
      keyValues.map((kv) => ld(1, kv)),
      2,
      odd,
      dup === 'resource',
    ),
    fc.constantFrom(...SHARED_RESOURCES),
  );
  const scope = fieldsArb(
    [strings.map((s) => ld(1, s)), strings.map((s) => ld(2, s)), varints.map((v) => concat(tag(4, 0), v))],
    keyValues.map((kv) => ld(3, kv)),
    4,
    odd,
    dup === 'scope',
  );
  const schemaUrl = strings.map((s) => ld(3, s));
  // ScopeLogs and ResourceLogs: their three fields, each but the one inside at most once, or once more.
  const container = (
    first: fc.Arbitrary<Uint8Array>,
    inner: fc.Arbitrary<Uint8Array>,
    twice: boolean,
  ): fc.Arbitrary<Uint8Array> =>
    fc
      .tuple(
        fc.option(first),
        inner,
        fc.option(schemaUrl),
        twice
          ? fc.oneof(first, schemaUrl).map((x) => [x])
          : fc.oneof(
              { weight: 30, arbitrary: fc.constant([]) },
              { weight: odd, arbitrary: fc.oneof(first, inner, schemaUrl, strayArb(3)).map((x) => [x]) },
            ),
      )
      .chain(([a, b, c, extra]) => shuffled([...[a, b, c].filter((x) => x !== null), ...extra]));
  const scopeLogs = container(
    scope.map((x) => ld(1, x)),
    logRecord.map((r) => ld(2, r)),
    dup === 'scopeLogs',
  );
  const resourceLogs = container(
    resource.map((x) => ld(1, x)),
    scopeLogs.map((x) => ld(2, x)),
    dup === 'resourceLogs',
  );
  return fc
    .tuple(
      resourceLogs,
      fc.oneof(
        { weight: 30, arbitrary: fc.constant(u8()) },
        {
          weight: odd,
          arbitrary: fc.oneof(
            resourceLogs.map((x) => ld(1, x)),
            strayArb(1),
          ),
        },
      ),
    )
    .map(([r, extra]) => concat(u8(1), ld(1, r), extra));
}

describe('wire projection, adversarial payloads in the single-record form', () => {
  it('declines or agrees with decoding (bytes, hash, chain attributes, element count), and takes most', () => {
    let taken = 0;
    let decoded = 0;
    fc.assert(
      fc.property(payloadArb(1), (payload) => {
        if (checkWire(payload, true)) taken++;
        if (!('error' in oldPath(payload))) decoded++;
      }),
      { numRuns: 3000 },
    );
    // A check that never runs proves nothing: most payloads that decode are in the form the wire path takes.
    expect(taken).toBeGreaterThan(300);
    expect(taken).toBeGreaterThan(decoded / 2);
  });

  it('declines or agrees with decoding on payloads with a stray or repeated field at every level', () => {
    fc.assert(
      fc.property(payloadArb(30), (payload) => {
        checkWire(payload, true);
      }),
      { numRuns: 1500 },
    );
  });

  it('declines or agrees with decoding when a singular field is there twice (protobuf: the last wins)', () => {
    // A wire path that read the first of two severity_texts (or times, names, schema_urls...) would hash
    // what the chain writer did not: the record it decodes to is the one with the last.
    const levels: Level[] = ['logRecord', 'resource', 'scope', 'scopeLogs', 'resourceLogs'];
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...levels).chain((level) => payloadArb(0, true, level)),
        (payload) => {
          checkWire(payload, true);
          if (!('error' in oldPath(payload))) decoded++;
        },
      ),
      { numRuns: 3000 },
    );
    expect(decoded).toBeGreaterThan(1000); // they decode: the check above compared most of them
  });

  it('reads the first of duplicated chain attributes, as verify and recovery read the decoded record', () => {
    const kv = (k: string, v: Uint8Array): Uint8Array => ld(6, concat(ld(1, text(k)), ld(2, v)));
    const record = concat(
      kv('audit.sequence.stream_id', ld(1, text('s'))),
      kv('audit.sequence.stream_id', ld(1, text('t'))),
      kv('audit.sequence.number', concat(tag(3, 0), varintOf(2n ** 64n - 1n))), // -1
      kv('audit.sequence.number', concat(tag(3, 0), u8(7))),
      kv('audit.integrity.hash', concat(tag(4, 1), doubleBytes(1))),
      kv('audit.integrity.hash', ld(1, text('a'.repeat(64)))),
    );
    const resource = ld(
      1,
      ld(1, concat(ld(1, text('audit.sequence.previous_hash')), ld(2, ld(1, text('p'))))),
    );
    const payload = concat(u8(1), ld(1, concat(resource, ld(2, ld(2, record)))));
    expect(checkWire(payload, true)).toBe(true);
    const wire = wireRecordHash(payload, Infinity);
    expect(wire?.streamId).toBe('s');
    expect(wire?.number).toBe(-1n);
    expect(typeof wire?.integrityHash).toBe('symbol');
    expect(wire?.previousHash).toBeUndefined(); // on the resource: not a chain attribute of the record
    expect(decodeRecord(payload).attributes.length).toBe(6);
  });
});
