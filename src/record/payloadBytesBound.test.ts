import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANY_VALUE_DEPTH_CEILING, type AnyValue, type KeyValue } from './AnyValue.ts';
import { createAuditRecord, createAuditResource, createAuditScope, type AuditRecord } from './AuditRecord.ts';
import { RecordInvalidError } from './errors.ts';
import { keyValuesBound, recordPayloadBytesUpperBound } from './payloadBytesBound.ts';
import { recordArb } from './testutil/arbitraries.ts';
import { validateRecord } from './validateRecord.ts';
import { encodeRecord } from './walCodec.ts';

describe('recordPayloadBytesUpperBound', () => {
  it('is never below the encoded size, and within a small factor of it', () => {
    fc.assert(
      fc.property(recordArb(), (record) => {
        const bytes = encodeRecord(record).length;
        const bound = recordPayloadBytesUpperBound(record);
        expect(bound).toBeGreaterThanOrEqual(bytes);
        expect(bound).toBeLessThanOrEqual(8 * bytes + 1024);
      }),
      { numRuns: 500 },
    );
  });

  it('covers the widest cases: 3-byte and 4-byte characters, long bytes, deep nesting, every part', () => {
    const wide = '\u20ac'.repeat(5000) + '\u{1F600}'.repeat(5000);
    let nested: AnyValue = wide;
    for (let i = 0; i < 30; i++) nested = i % 2 === 0 ? [nested] : { values: [{ key: wide, value: nested }] };
    const record = createAuditRecord({
      resource: createAuditResource({ attributes: [{ key: wide, value: wide }], schemaUrl: wide }),
      scope: createAuditScope({
        name: wide,
        version: wide,
        attributes: [{ key: 'b', value: new Uint8Array(70_000) }],
      }),
      timeUnixNano: 2n ** 64n - 1n,
      observedTimeUnixNano: 2n ** 64n - 1n,
      severityNumber: -1,
      severityText: wide,
      body: nested,
      attributes: [
        { key: 'i', value: -(2n ** 63n) },
        { key: 'd', value: -1.5 },
        { key: 'e', value: null },
      ],
      droppedAttributesCount: 2 ** 32 - 1,
      flags: 2 ** 32 - 1,
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      eventName: wide,
    });
    expect(recordPayloadBytesUpperBound(record)).toBeGreaterThanOrEqual(encodeRecord(record).length);
  });
});

/** Where a part of a record can be replaced by something invalid. */
const PARTS = [
  'resource',
  'resource.attributes',
  'resource.schemaUrl',
  'scope',
  'scope.name',
  'scope.version',
  'scope.attributes',
  'scope.schemaUrl',
  'severityText',
  'body',
  'attributes',
  'attributes.0',
  'attributes.0.key',
  'attributes.0.value',
  'traceId',
  'spanId',
  'eventName',
] as const;

/** Sets `path` in `record` (an index into an array that is too short appends). */
function setPart(record: AuditRecord, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = record as unknown as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    const next = target[k];
    if (typeof next !== 'object' || next === null) return; // nothing there to corrupt
    target = next as Record<string, unknown>;
  }
  target[keys.at(-1) as string] = value;
}

function cyclicArray(): unknown[] {
  const a: unknown[] = ['x'];
  a.push(a);
  return a;
}

function cyclicKvlist(): { values: { key: string; value: unknown }[] } {
  const list = { values: [] as { key: string; value: unknown }[] };
  list.values.push({ key: 'self', value: list }, { key: 'again', value: list });
  return list;
}

const throwingGetter = (): object =>
  Object.defineProperty({}, 'values', {
    get: () => {
      throw new Error('getter failed');
    },
  });

const junkArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, 5, NaN, -1, 'text', {}, [undefined], [5], { length: -100 }, { values: 7 }),
  fc.constant(null).map(cyclicArray),
  fc.constant(null).map(cyclicKvlist),
  fc.constant(null).map(throwingGetter),
  fc.anything(),
);

/** The bound's contract for any input: a finite number >= 0, or RecordInvalidError. Returns which. */
function boundOrError(record: unknown): number | RecordInvalidError {
  try {
    const bound = recordPayloadBytesUpperBound(record as AuditRecord);
    expect(Number.isFinite(bound) && bound >= 0, `bound ${bound}`).toBe(true);
    return bound;
  } catch (err) {
    expect(err).toBeInstanceOf(RecordInvalidError);
    return err as RecordInvalidError;
  }
}

describe('recordPayloadBytesUpperBound on invalid records (callers need not validate first)', () => {
  it('returns a finite bound or throws RecordInvalidError, never NaN or another error (property)', () => {
    fc.assert(
      fc.property(recordArb(), fc.constantFrom(...PARTS), junkArb, (record, part, junk) => {
        setPart(record, part, junk);
        boundOrError(record);
      }),
      { numRuns: 2000 },
    );
  });

  it('a number where a string belongs: RecordInvalidError naming it (was NaN, which passes every limit check)', () => {
    const record = createAuditRecord({ body: 'x' });
    setPart(record, 'severityText', 5);
    const err = boundOrError(record);
    expect(err).toBeInstanceOf(RecordInvalidError);
    expect((err as RecordInvalidError).path).toBe('severityText');
  });

  it('a missing part, a value that contains itself, a getter that throws, not an object at all', () => {
    const missing = createAuditRecord({});
    setPart(missing, 'scope', undefined);
    const cyclic = createAuditRecord({ body: cyclicArray() as AnyValue });
    const selfList = createAuditRecord({ attributes: [{ key: 'k', value: cyclicKvlist() as AnyValue }] });
    const getter = createAuditRecord({ body: throwingGetter() as AnyValue });
    for (const record of [missing, cyclic, selfList, getter, null, undefined, 7, 'record'])
      expect(boundOrError(record)).toBeInstanceOf(RecordInvalidError);
    expect((boundOrError(missing) as RecordInvalidError).path).toBe('scope');
    expect((boundOrError(getter) as RecordInvalidError).message).toMatch(/getter failed/);
  });

  it('a valid value at the depth ceiling still gets a bound (not refused as too deep)', () => {
    let deepest: AnyValue = [];
    for (let depth = 1; depth < ANY_VALUE_DEPTH_CEILING; depth++)
      deepest = depth % 2 === 0 ? [deepest] : { values: [{ key: 'k', value: deepest }] };
    const record = createAuditRecord({ body: deepest, attributes: [{ key: 'a', value: deepest }] });
    expect(() => validateRecord(record)).not.toThrow();
    expect(recordPayloadBytesUpperBound(record)).toBeGreaterThanOrEqual(encodeRecord(record).length);
    const tooDeep = createAuditRecord({ body: [deepest] });
    expect(boundOrError(tooDeep)).toBeInstanceOf(RecordInvalidError);
  });

  it('keyValuesBound: a finite bound or RecordInvalidError', () => {
    expect(keyValuesBound([{ key: 'k', value: 'v' }])).toBeGreaterThan(0);
    for (const list of [[undefined], [{ key: 5, value: 'v' }], [{ key: 'k', value: cyclicKvlist() }]])
      expect(() => keyValuesBound(list as KeyValue[])).toThrow(RecordInvalidError);
    expect(keyValuesBound(7 as unknown as KeyValue[])).toBe(0); // no entries: a finite bound
  });
});
