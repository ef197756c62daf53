/**
 * The projection writer copies the bytes of the last resource and scope it
 * wrote when they are unchanged (internal/partCache.ts). These tests hold it
 * to the reference (JCS of the projection object) while ONE record's
 * resource and scope objects are changed in place between projections — the
 * case a cache keyed on the object alone would get wrong, and the hash chain
 * with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { anyValueArb, doubleArb, keyArb, stringArb, uint32Arb } from '../../record/testutil/arbitraries.ts';
import { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import { canonicalJsonBytes } from './jcs.ts';
import { canonicalRecordBytes, recordProjection } from './projection.ts';
import { PART_BYTES_CACHED_MAX } from './internal/partCache.ts';
import { toHex } from './testutil/vectors.ts';

interface MutablePart {
  attributes: KeyValue[];
  droppedAttributesCount: number;
  schemaUrl: string;
  name: string;
  version: string;
}

function outcome(fn: () => Uint8Array): string {
  try {
    return toHex(fn());
  } catch (error) {
    return `error ${(error as CanonicalEncodingError).code} ${(error as CanonicalEncodingError).problem}`;
  }
}

/** The writer (with its cache) against the reference, for the record as it is now. */
function expectReference(r: AuditRecord): void {
  expect(outcome(() => canonicalRecordBytes(r))).toBe(outcome(() => canonicalJsonBytes(recordProjection(r))));
}

function record(): AuditRecord {
  return createAuditRecord({
    body: 'b',
    resource: {
      attributes: [
        { key: 'service.name', value: 'checkout' },
        { key: 'n', value: 0 },
      ],
      droppedAttributesCount: 0,
      schemaUrl: '',
    },
    scope: {
      name: 'lib',
      version: '1.0.0',
      attributes: [{ key: 's', value: true }],
      droppedAttributesCount: 0,
      schemaUrl: '',
    },
  });
}

const part = (r: AuditRecord, which: 'resource' | 'scope'): MutablePart => r[which] as unknown as MutablePart;

describe('projection writer: cached resource and scope bytes', () => {
  it('each in-place change of a shared resource or scope is seen (the hash follows the record, never the cache)', () => {
    const r = record();
    expectReference(r); // cached now
    const res = part(r, 'resource');
    const scope = part(r, 'scope');
    // Each change, and whether the projection stays the same (only a copy of equal content, or a change
    // of an excluded `audit.integrity.*` attribute, may).
    const changes: Array<[() => void, boolean]> = [
      [() => ((res.attributes[0] as { value: AnyValue }).value = 'billing'), false],
      [() => ((res.attributes[1] as { value: AnyValue }).value = -0), false], // -0 is not 0 ("-0" in JCS)
      [() => ((res.attributes[1] as { value: AnyValue }).value = 0n), false],
      [() => ((res.attributes[1] as { key: string }).key = 'm'), false],
      [() => res.attributes.push({ key: 'extra', value: null }), false],
      [() => res.attributes.pop(), false],
      [() => (res.droppedAttributesCount = 3), false],
      [() => (res.schemaUrl = 'https://opentelemetry.io/schemas/1.26.0'), false],
      [() => (scope.name = 'lib2'), false],
      [() => (scope.version = ''), false],
      [() => (scope.schemaUrl = 's'), false],
      [() => (scope.droppedAttributesCount = 1), false],
      [() => ((scope.attributes[0] as { value: AnyValue }).value = false), false],
      [() => (res.attributes = [...res.attributes]), true],
      [() => res.attributes.push({ key: 'audit.integrity.value', value: 'sig' }), true],
      [() => ((res.attributes.at(-1) as { value: AnyValue }).value = 'other sig'), true],
    ];
    let previous = toHex(canonicalRecordBytes(r));
    for (const [change, same] of changes) {
      change();
      expectReference(r);
      const now = toHex(canonicalRecordBytes(r));
      expect(now === previous, String(change)).toBe(same);
      previous = now;
    }
  });

  it('a nested value (kvlist, array, bytes) changed in place is seen', () => {
    const r = record();
    const kv = { values: [{ key: 'k', value: 'v' }] };
    const list: AnyValue[] = ['x'];
    const bytes = new Uint8Array([1, 2]);
    part(r, 'resource').attributes.push(
      { key: 'kv', value: kv },
      { key: 'l', value: list },
      { key: 'b', value: bytes },
    );
    expectReference(r);
    (kv.values[0] as { value: AnyValue }).value = 'w';
    expectReference(r);
    list.push('y');
    expectReference(r);
    bytes[0] = 9;
    expectReference(r);
  });

  it('a value the model forbids after a cached write is still refused, and the next record is right', () => {
    const r = record();
    expectReference(r);
    (part(r, 'resource').attributes[0] as { value: unknown }).value = undefined;
    expect(() => canonicalRecordBytes(r)).toThrow(CanonicalEncodingError);
    (part(r, 'resource').attributes[0] as { value: unknown }).value = 'a\ud800';
    expect(() => canonicalRecordBytes(r)).toThrow(CanonicalEncodingError);
    (part(r, 'resource').attributes[0] as { value: unknown }).value = 'ok';
    expectReference(r);
  });

  it('a resource larger than the cache bound is written every time, and right', () => {
    const r = record();
    part(r, 'resource').attributes.push({ key: 'big', value: 'x'.repeat(PART_BYTES_CACHED_MAX) });
    expectReference(r);
    (part(r, 'resource').attributes[0] as { value: AnyValue }).value = 'changed';
    expectReference(r);
  });

  it('property: any sequence of in-place changes, each projection equals the reference', () => {
    const primitive = fc.oneof(
      stringArb,
      doubleArb,
      fc.boolean(),
      fc.bigInt({ min: -5n, max: 5n }),
      fc.constant(null),
    );
    const value = fc.oneof({ weight: 4, arbitrary: primitive }, { weight: 1, arbitrary: anyValueArb });
    const op = fc.record({
      part: fc.constantFrom('resource' as const, 'scope' as const),
      kind: fc.constantFrom('value', 'key', 'push', 'pop', 'dropped', 'schemaUrl', 'name', 'version', 'copy'),
      index: fc.nat(),
      value,
      key: keyArb,
      n: uint32Arb,
      s: stringArb,
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const r = record();
        expectReference(r);
        for (const o of ops) {
          const p = part(r, o.part);
          const kv = p.attributes.length > 0 ? p.attributes[o.index % p.attributes.length] : undefined;
          if (o.kind === 'value' && kv) (kv as { value: AnyValue }).value = o.value;
          else if (o.kind === 'key' && kv) (kv as { key: string }).key = o.key;
          else if (o.kind === 'push') p.attributes.push({ key: o.key, value: o.value });
          else if (o.kind === 'pop') p.attributes.pop();
          else if (o.kind === 'dropped') p.droppedAttributesCount = o.n;
          else if (o.kind === 'schemaUrl') p.schemaUrl = o.s;
          else if (o.kind === 'name' && o.part === 'scope') p.name = o.s;
          else if (o.kind === 'version' && o.part === 'scope') p.version = o.s;
          else if (o.kind === 'copy') p.attributes = p.attributes.map((a) => ({ ...a }));
          expectReference(r);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('a record whose attribute reads differ each time does not leave wrong bytes for the next records', () => {
  it('a value getter (read once to write, again to snapshot) or a Proxy: the next, plain record gets its own bytes', () => {
    // The part's bytes came from the first read; a snapshot from a second read named a value the bytes
    // do not hold, and a later plain record with that value was given them (a wrong hash in the chain).
    const withResource = (attributes: readonly KeyValue[]): AuditRecord =>
      createAuditRecord({ ...record(), resource: { attributes, droppedAttributesCount: 0, schemaUrl: '' } });
    let reads = 0;
    const flipping = {
      key: 'service.name',
      get value(): AnyValue {
        return reads++ === 0 ? 'first' : 'second';
      },
    } as KeyValue;
    let proxied = 0;
    const proxy = new Proxy([{ key: 'host', value: 'a' }] as KeyValue[], {
      get: (target, p, receiver): unknown =>
        p === '0' && proxied++ > 0 ? { key: 'host', value: 'b' } : Reflect.get(target, p, receiver),
    });
    for (const [odd, plain] of [
      [[flipping], { key: 'service.name', value: 'second' }],
      [proxy, { key: 'host', value: 'b' }],
    ] as const) {
      canonicalRecordBytes(withResource(odd));
      expectReference(withResource([plain]));
    }
  });
});
