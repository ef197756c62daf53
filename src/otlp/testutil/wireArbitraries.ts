/**
 * fast-check arbitraries for OTLP logs protobuf bytes built field by field,
 * for comparing decoders: every field of every message, each 0–2 times (so
 * singular fields repeat and oneof members switch or merge), unknown fields,
 * known fields with a wrong wire type, non-minimal and over-long varints
 * (tags, lengths, values), ids of the wrong length, invalid UTF-8, and
 * nesting to depth 5.
 */
import fc from 'fast-check';
import { concat, len, tag } from './wire.ts';

/** A varint of a non-negative bigint, optionally padded with `pad` redundant 0x80 bytes. */
export function varintOf(value: bigint, pad = 0): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  if (pad === 0) {
    out.push(Number(v));
  } else {
    out.push(Number(v) | 0x80);
    for (let i = 1; i < pad; i++) out.push(0x80);
    out.push(0);
  }
  return Uint8Array.from(out);
}

const varintValueArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(
      fc.bigInt({ min: 0n, max: 300n }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.constantFrom(0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n),
      // 10-byte varints with bits past the 64th (protobufjs drops them, except for bool)
      fc.bigInt({ min: 2n ** 64n, max: 2n ** 70n - 1n }),
    ),
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) },
    ),
  )
  .map(([v, pad]) => varintOf(v, pad));

/** A tag, usually minimal, sometimes padded (protobufjs reads at most 5 bytes). */
const tagArb = (fieldNumber: number, wireType: number): fc.Arbitrary<Uint8Array> =>
  fc
    .oneof(
      { weight: 12, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) },
    )
    .map((pad) =>
      pad === 0 ? tag(fieldNumber, wireType) : varintOf(BigInt(fieldNumber * 8 + wireType), pad),
    );

const lengthDelimited = (fieldNumber: number, content: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(
      tagArb(fieldNumber, 2),
      content,
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) },
      ),
    )
    .map(([t, c, pad]) => concat(t, pad === 0 ? len(c) : concat(varintOf(BigInt(c.length), pad), c)));

const varintField = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.tuple(tagArb(n, 0), varintValueArb).map(([t, v]) => concat(t, v));
const fixedField = (n: number, size: 4 | 8): fc.Arbitrary<Uint8Array> =>
  fc
    .tuple(tagArb(n, size === 8 ? 1 : 5), fc.uint8Array({ minLength: size, maxLength: size }))
    .map(([t, v]) => concat(t, v));

const utf8Arb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).map((s) => Buffer.from(s, 'utf8')) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6 }) }, // often invalid UTF-8
  {
    weight: 1,
    arbitrary: fc.constantFrom(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), Buffer.from('a'.repeat(70))),
  },
);
const stringField = (n: number): fc.Arbitrary<Uint8Array> => lengthDelimited(n, utf8Arb);
const bytesField = (n: number, sizes: readonly number[]): fc.Arbitrary<Uint8Array> =>
  lengthDelimited(
    n,
    fc.oneof(
      fc.constantFrom(...sizes).chain((size) => fc.uint8Array({ minLength: size, maxLength: size })),
      fc.uint8Array({ maxLength: 20 }),
    ),
  );

/** A field the message does not know, or a known one with a wrong wire type. */
const strayField = (knownMax: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc
      .integer({ min: knownMax + 1, max: 2000 })
      .chain((n) =>
        fc.oneof(
          varintField(n),
          fixedField(n, 8),
          fixedField(n, 4),
          lengthDelimited(n, fc.uint8Array({ maxLength: 5 })),
        ),
      ),
    fc
      .tuple(fc.integer({ min: 1, max: knownMax }), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7))
      .map(([n, wt]) => concat(tag(n, wt), Uint8Array.of(0))),
  );

/** A message: a random sequence of its fields (each arbitrary may be picked 0..n times). */
const message = (fields: fc.Arbitrary<Uint8Array>[], maxFields = 6): fc.Arbitrary<Uint8Array> =>
  fc.array(fc.oneof(...fields), { maxLength: maxFields }).map((parts) => concat(...parts));

const rare = <T>(a: fc.Arbitrary<T>): fc.WeightedArbitrary<T> => ({ weight: 1, arbitrary: a });
const usual = <T>(a: fc.Arbitrary<T>): fc.WeightedArbitrary<T> => ({ weight: 6, arbitrary: a });

const { anyValue: anyValueWireArb, keyValue: keyValueWireArb } = fc.letrec<{
  anyValue: Uint8Array;
  keyValue: Uint8Array;
  arrayValue: Uint8Array;
  kvlistValue: Uint8Array;
}>((tie) => ({
  anyValue: fc
    .oneof(
      { depthSize: 'small', maxDepth: 5 },
      usual(
        fc.array(
          fc.oneof(stringField(1), varintField(2), varintField(3), fixedField(4, 8), bytesField(7, [0, 3])),
          { maxLength: 1 },
        ),
      ),
      usual(fc.array(lengthDelimited(5, tie('arrayValue')), { maxLength: 1 })),
      usual(fc.array(lengthDelimited(6, tie('kvlistValue')), { maxLength: 1 })),
      rare(
        fc.array(
          fc.oneof(
            stringField(1),
            varintField(2),
            varintField(3),
            fixedField(4, 8),
            lengthDelimited(5, tie('arrayValue')),
            lengthDelimited(6, tie('kvlistValue')),
            bytesField(7, [0, 3]),
            strayField(7),
          ),
          { maxLength: 3 },
        ),
      ),
    )
    .map((parts) => concat(...parts)),
  arrayValue: fc
    .array(fc.oneof(usual(lengthDelimited(1, tie('anyValue'))), rare(strayField(1))), { maxLength: 3 })
    .map((parts) => concat(...parts)),
  kvlistValue: fc
    .array(fc.oneof(usual(lengthDelimited(1, tie('keyValue'))), rare(strayField(1))), { maxLength: 3 })
    .map((parts) => concat(...parts)),
  keyValue: fc
    .oneof(
      usual(fc.tuple(stringField(1), lengthDelimited(2, tie('anyValue'))).map(([k, v]) => concat(k, v))),
      rare(message([stringField(1), lengthDelimited(2, tie('anyValue')), strayField(2)], 4)),
    )
    .map((bytes) => bytes),
}));

const attributes = (n: number): fc.Arbitrary<Uint8Array> => lengthDelimited(n, keyValueWireArb);

const logRecordWireArb: fc.Arbitrary<Uint8Array> = message(
  [
    fixedField(1, 8),
    varintField(2),
    stringField(3),
    lengthDelimited(5, anyValueWireArb),
    attributes(6),
    attributes(6),
    varintField(7),
    fixedField(8, 4),
    bytesField(9, [0, 16]),
    bytesField(10, [0, 8]),
    fixedField(11, 8),
    stringField(12),
    strayField(12),
  ],
  10,
);

const scopeWireArb = message(
  [stringField(1), stringField(2), attributes(3), varintField(4), strayField(4)],
  5,
);
const resourceWireArb = message([attributes(1), attributes(1), varintField(2), strayField(2)], 4);
const scopeLogsWireArb = message(
  [
    lengthDelimited(1, scopeWireArb),
    lengthDelimited(2, logRecordWireArb),
    lengthDelimited(2, logRecordWireArb),
    stringField(3),
    strayField(3),
  ],
  5,
);
const resourceLogsWireArb = message(
  [lengthDelimited(1, resourceWireArb), lengthDelimited(2, scopeLogsWireArb), stringField(3), strayField(3)],
  4,
);

/** `ExportLogsServiceRequest` bytes, field by field (see the module comment). */
export const requestWireArb: fc.Arbitrary<Uint8Array> = message(
  [lengthDelimited(1, resourceLogsWireArb), lengthDelimited(1, resourceLogsWireArb), strayField(1)],
  3,
);

export { anyValueWireArb };
