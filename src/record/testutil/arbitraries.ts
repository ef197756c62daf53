/**
 * fast-check arbitraries for the record model, shared by the record and OTLP
 * tests: every AnyValue kind (nested arrays and kvlists with duplicate keys,
 * empty values, bytes), int64 at and beyond 2^53 and negative, doubles
 * including NaN, ±Infinity and -0, strings including '' and non-BMP
 * characters (surrogate pairs).
 */
import fc from 'fast-check';
import { INT64_MAX, INT64_MIN, type AnyValue, type KeyValue } from '../AnyValue.ts';
import type { AuditRecord, AuditResource, AuditScope } from '../AuditRecord.ts';

export const stringArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.constantFrom('', '😀', 'a𝄞b', '\u0000', 'é', '\u{10ffff}', '"\\\n'),
);

export const keyArb: fc.Arbitrary<string> = fc.oneof(stringArb, fc.constantFrom('a', 'b', 'dup'));

export const int64Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.constantFrom(INT64_MIN, INT64_MAX, 0n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 10n),
);

export const doubleArb: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 1, 637.704),
);

export const uint32Arb: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.constantFrom(0, 0xffff_ffff),
);

export const fixed64Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 2n ** 64n - 1n, 1_544_712_660_300_000_000n),
);

const leafArb: fc.Arbitrary<AnyValue> = fc.oneof(
  stringArb,
  fc.boolean(),
  int64Arb,
  doubleArb,
  fc.uint8Array({ maxLength: 12 }),
  fc.constant(null),
);

const { value: anyValueArbitrary } = fc.letrec<{
  value: AnyValue;
  array: AnyValue[];
  kvlist: { values: KeyValue[] };
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5, withCrossShrink: true },
    leafArb,
    tie('array'),
    tie('kvlist'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  kvlist: fc
    .array(fc.record({ key: keyArb, value: tie('value') }), { maxLength: 4 })
    .map((values) => ({ values })),
}));

export const anyValueArb: fc.Arbitrary<AnyValue> = anyValueArbitrary;

export const keyValuesArb: fc.Arbitrary<KeyValue[]> = fc.array(
  fc.record({ key: keyArb, value: anyValueArb }),
  {
    maxLength: 4,
  },
);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const traceIdArb = fc.oneof(fc.constant(''), fc.uint8Array({ minLength: 16, maxLength: 16 }).map(hex));
export const spanIdArb = fc.oneof(fc.constant(''), fc.uint8Array({ minLength: 8, maxLength: 8 }).map(hex));

export const resourceArb: fc.Arbitrary<AuditResource> = fc.record({
  attributes: keyValuesArb,
  droppedAttributesCount: uint32Arb,
  schemaUrl: stringArb,
});

export const scopeArb: fc.Arbitrary<AuditScope> = fc.record({
  name: stringArb,
  version: stringArb,
  attributes: keyValuesArb,
  droppedAttributesCount: uint32Arb,
  schemaUrl: stringArb,
});

export function recordArb(
  resource: fc.Arbitrary<AuditResource> = resourceArb,
  scope: fc.Arbitrary<AuditScope> = scopeArb,
): fc.Arbitrary<AuditRecord> {
  return fc.record({
    resource,
    scope,
    timeUnixNano: fixed64Arb,
    observedTimeUnixNano: fixed64Arb,
    severityNumber: fc.oneof(
      fc.integer({ min: 0, max: 24 }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    ),
    severityText: stringArb,
    body: fc.option(anyValueArb, { nil: undefined }),
    attributes: keyValuesArb,
    droppedAttributesCount: uint32Arb,
    flags: uint32Arb,
    traceId: traceIdArb,
    spanId: spanIdArb,
    eventName: stringArb,
  });
}

/**
 * A batch whose records use up to 3 resources and 3 scopes, each made
 * distinct by a `pool.id` attribute, so grouping by value equals grouping
 * by pool index. `expected` is the order the OTLP encoders emit.
 */
export const batchArb: fc.Arbitrary<{ records: AuditRecord[]; expected: AuditRecord[] }> = fc
  .record({
    resources: fc.array(resourceArb, { minLength: 1, maxLength: 3 }),
    scopes: fc.array(scopeArb, { minLength: 1, maxLength: 3 }),
    picks: fc.array(fc.tuple(fc.nat(2), fc.nat(2), recordArb()), { maxLength: 8 }),
  })
  .map(({ resources, scopes, picks }) => {
    const pooledResources = resources.map((r, i) => tagged(r, i));
    const pooledScopes = scopes.map((s, i) => tagged(s, i));
    const records = picks.map(([ri, si, record]) => ({
      ...record,
      resource: pooledResources[ri % pooledResources.length] as AuditResource,
      scope: pooledScopes[si % pooledScopes.length] as AuditScope,
    }));
    return { records, expected: groupedOrder(records) };
  });

function tagged<T extends { attributes: readonly KeyValue[] }>(value: T, id: number): T {
  return { ...value, attributes: [{ key: 'pool.id', value: BigInt(id) }, ...value.attributes] };
}

/** Stable grouping by resource identity, then scope identity, in order of first appearance. */
export function groupedOrder(records: readonly AuditRecord[]): AuditRecord[] {
  const byResource = new Map<AuditResource, Map<AuditScope, AuditRecord[]>>();
  for (const record of records) {
    let scopes = byResource.get(record.resource);
    if (scopes === undefined) byResource.set(record.resource, (scopes = new Map()));
    let list = scopes.get(record.scope);
    if (list === undefined) scopes.set(record.scope, (list = []));
    list.push(record);
  }
  return [...byResource.values()].flatMap((scopes) => [...scopes.values()].flat());
}
