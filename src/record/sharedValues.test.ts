/**
 * A value built in process may share its parts: `a = [b, b]`, `b = [c, c]`, … is 2^depth values for
 * `depth` objects. Every walk over a record (validate, size bound, SDK conversion) must fail such a
 * value within RECORD_ELEMENTS_CEILING (or the conversion's budget) instead of running for hours —
 * and must still take a record as large as any WAL stores.
 */
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { RECORD_ELEMENTS_CEILING, type AnyValue, type KeyValue } from './AnyValue.ts';
import { createAuditRecord } from './AuditRecord.ts';
import { RecordInvalidError } from './errors.ts';
import { fromSdkLogRecord } from './fromSdkLogRecord.ts';
import { keyValuesBound, recordPayloadBytesUpperBound } from './payloadBytesBound.ts';
import { fromSdkAnyValue } from './sdkAnyValue.ts';
import { validateAnyValue, validateRecord } from './validateRecord.ts';
import { encodeRecord } from './walCodec.ts';

/** 2^levels leaves, levels + 1 objects. Without a budget, 31 levels is ~4.3 billion values. */
function sharedArray(levels: number): AnyValue {
  let v: AnyValue = 'x';
  for (let i = 0; i < levels; i++) v = [v, v];
  return v;
}

/** The same through kvlists: each level is a KeyValue and an AnyValue twice over. */
function sharedKvlist(levels: number): AnyValue {
  let v: AnyValue = 'x';
  for (let i = 0; i < levels; i++) {
    const kv: KeyValue = { key: 'k', value: v };
    v = { values: [kv, kv] };
  }
  return v;
}

function sdkRecord(body: unknown, attributes: Record<string, unknown> = {}): ReadableLogRecord {
  return {
    body,
    attributes,
    resource: { attributes: {} },
    instrumentationScope: { name: 'shared-values' },
    hrTime: [0, 0],
    hrTimeObserved: [0, 0],
  } as unknown as ReadableLogRecord;
}

function expectInvalid(run: () => unknown, message: RegExp): RecordInvalidError {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RecordInvalidError);
  expect((caught as Error).message).toMatch(message);
  return caught as RecordInvalidError;
}

const TOO_MANY = /more than \d+ values and key-values in one record/;

describe('values that share their parts', () => {
  it('validateRecord refuses a 2^31-value body built from 32 objects, naming the place; the next record is unaffected', () => {
    const err = expectInvalid(() => validateRecord(createAuditRecord({ body: sharedArray(31) })), TOO_MANY);
    expect(err.message).toMatch(/^body\[[01]\]/);
    expect(err.message).toContain(String(RECORD_ELEMENTS_CEILING));
    const ok = createAuditRecord({
      body: sharedArray(10),
      attributes: [{ key: 'a', value: sharedKvlist(8) }],
    });
    expect(() => validateRecord(ok)).not.toThrow();
    expect(recordPayloadBytesUpperBound(ok)).toBeGreaterThanOrEqual(encodeRecord(ok).length);
  }, 60_000);

  it('validateAnyValue refuses one shared through kvlists', () => {
    expectInvalid(
      () => validateAnyValue(sharedKvlist(30), 'v'),
      /^v\.values.*more than \d+ values and key-values/,
    );
  }, 60_000);

  it('recordPayloadBytesUpperBound and keyValuesBound refuse it instead of walking it', () => {
    expectInvalid(() => recordPayloadBytesUpperBound(createAuditRecord({ body: sharedArray(31) })), TOO_MANY);
    expectInvalid(
      () => keyValuesBound([{ key: 'a', value: sharedArray(31) }]),
      /^attributes: not a valid attribute list: more than \d+ values and key-values/,
    );
  }, 60_000);

  it('fromSdkLogRecord stops at its elementsMax before building the copy', () => {
    let shared: unknown = 'x';
    for (let i = 0; i < 31; i++) shared = [shared, shared];
    const err = expectInvalid(
      () => fromSdkLogRecord(sdkRecord(shared), { elementsMax: 1024 * 1024 }),
      /more than 1048576 values and key-values in one record/,
    );
    expect(err.message).toMatch(/^body/);
    expectInvalid(
      () => fromSdkLogRecord(sdkRecord('b', { big: shared }), { elementsMax: 1000 }),
      /^attributes\.big.*more than 1000 values/,
    );
  }, 60_000);

  it('fromSdkLogRecord counts body and attributes against one budget, and takes what fits', () => {
    const attrs = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
    // 100 key-values + 100 values + the body: 201 elements.
    expect(fromSdkLogRecord(sdkRecord('b', attrs), { elementsMax: 201 }).attributes).toHaveLength(100);
    expectInvalid(() => fromSdkLogRecord(sdkRecord('b', attrs), { elementsMax: 200 }), TOO_MANY);
    // A shared part that fits is copied as many times as it appears, as before.
    const part = { a: [1, 2, 3] };
    const record = fromSdkLogRecord(sdkRecord([part, part]));
    expect(record.body).toEqual([
      { values: [{ key: 'a', value: [1n, 2n, 3n] }] },
      { values: [{ key: 'a', value: [1n, 2n, 3n] }] },
    ]);
  });

  it('fromSdkAnyValue inside a record budget counts against it; on its own it starts a fresh one', () => {
    expect(fromSdkAnyValue([1, [2]], 'v')).toEqual([1n, [2n]]);
    expect(fromSdkAnyValue([1, [2]], 'v')).toEqual([1n, [2n]]);
  });
});
