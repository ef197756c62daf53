/**
 * The canonical record projection: known answers (testdata/integrity/vectors/
 * records.json), the documented layout, every AnyValue kind, and the
 * property the hash chain rests on — two records hash alike exactly when
 * they are equal, field for field (a one-field change always changes the hash).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import { anyValueEquals, keyValuesEqual } from '../../record/anyValueOps.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../../record/AuditRecord.ts';
import { anyValueArb, keyValuesArb, recordArb } from '../../record/testutil/arbitraries.ts';
import { decodeOtlpLogsJson } from '../../otlp/jsonCodec.ts';
import { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import { canonicalJson, canonicalJsonBytes } from './jcs.ts';
import {
  canonicalRecordBytes,
  PROJECTION_VERSION,
  recordHash,
  recordHashHex,
  recordProjection,
} from './projection.ts';
import { projectionBytes, SCRATCH_BYTES_KEPT_MAX } from './internal/projectionWriter.ts';
import { loadVectorJson, toHex, utf8 } from './testutil/vectors.ts';

interface RecordVectors {
  projectionVersion: number;
  records: { name: string; otlpJson: unknown; canonical: string; sha256: string }[];
}

const V = loadVectorJson<RecordVectors>('records.json');
const text = (record: AuditRecord): string => utf8(canonicalRecordBytes(record));
const withBody = (body: AnyValue | undefined): AuditRecord => createAuditRecord({ body });
const bodyJson = (body: AnyValue): string => JSON.stringify(recordProjection(withBody(body))['body']);

/** The bytes `fn` writes as hex, or the encoding error it throws (code and problem). */
function outcome(fn: () => Uint8Array): string {
  try {
    return toHex(fn());
  } catch (error) {
    return `error ${(error as CanonicalEncodingError).code} ${(error as CanonicalEncodingError).problem}`;
  }
}

describe('records.json known answers', () => {
  expect(V.projectionVersion).toBe(1);
  for (const v of V.records) {
    it(v.name, () => {
      const [record, ...rest] = decodeOtlpLogsJson(JSON.stringify(v.otlpJson));
      expect(rest).toHaveLength(0);
      const bytes = canonicalRecordBytes(record as AuditRecord);
      expect(utf8(bytes)).toBe(v.canonical);
      expect(createHash('sha256').update(v.canonical, 'utf8').digest('hex')).toBe(v.sha256);
      expect(recordHashHex(record as AuditRecord)).toBe(v.sha256);
      expect(toHex(recordHash(record as AuditRecord))).toBe(v.sha256);
    });
  }
});

describe('projection layout', () => {
  it('writes every field of a default record, sorted by JCS (docs/integrity.md)', () => {
    expect(text(createAuditRecord())).toBe(
      '{"attributes":[],"dropped_attributes_count":0,"event_name":"","flags":0,"observed_timestamp":"0",' +
        '"resource":{"attributes":[],"dropped_attributes_count":0,"schema_url":""},' +
        '"scope":{"attributes":[],"dropped_attributes_count":0,"name":"","schema_url":"","version":""},' +
        '"severity_number":0,"severity_text":"","span_id":"","timestamp":"0","trace_id":"","v":1}',
    );
  });

  it('tags every AnyValue kind', () => {
    expect(bodyJson('s')).toBe('{"stringValue":"s"}');
    expect(bodyJson(true)).toBe('{"boolValue":true}');
    expect(bodyJson(-5n)).toBe('{"intValue":"-5"}');
    expect(bodyJson(2.5)).toBe('{"doubleValue":2.5}');
    expect(bodyJson(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0xff))).toBe('{"bytesValue":"3q2+7/8="}');
    expect(bodyJson(null)).toBe('{}');
    expect(bodyJson([1n, 'x', []])).toBe(
      '{"arrayValue":[{"intValue":"1"},{"stringValue":"x"},{"arrayValue":[]}]}',
    );
    expect(bodyJson({ values: [{ key: 'k', value: { values: [] } }] })).toBe(
      '{"kvlistValue":[{"key":"k","value":{"kvlistValue":[]}}]}',
    );
  });

  it('keeps int64 exact beyond 2^53 and at its limits', () => {
    expect(bodyJson(2n ** 53n + 1n)).toBe('{"intValue":"9007199254740993"}');
    expect(bodyJson(-(2n ** 63n))).toBe('{"intValue":"-9223372036854775808"}');
    expect(recordHashHex(withBody(2n ** 53n))).not.toBe(recordHashHex(withBody(2n ** 53n + 1n)));
    expect(recordHashHex(withBody(1n))).not.toBe(recordHashHex(withBody(1)));
    expect(recordHashHex(withBody(1n))).not.toBe(recordHashHex(withBody('1')));
    const t = createAuditRecord({ timeUnixNano: 2n ** 64n - 1n });
    expect(recordProjection(t)['timestamp']).toBe('18446744073709551615');
  });

  it('gives NaN, ±Infinity and -0 their own string forms', () => {
    expect(bodyJson(NaN)).toBe('{"doubleValue":"NaN"}');
    expect(bodyJson(Infinity)).toBe('{"doubleValue":"Infinity"}');
    expect(bodyJson(-Infinity)).toBe('{"doubleValue":"-Infinity"}');
    expect(bodyJson(-0)).toBe('{"doubleValue":"-0"}');
    expect(bodyJson(0)).toBe('{"doubleValue":0}');
    const hashes = [0, -0, NaN, Infinity, -Infinity, 'NaN', '-0'].map((b) => recordHashHex(withBody(b)));
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('writes non-BMP characters as UTF-8 and refuses lone surrogates', () => {
    const record = createAuditRecord({ body: '😀𝄞', attributes: [{ key: '💩', value: 'x' }] });
    expect(text(record)).toContain('"body":{"stringValue":"😀𝄞"}');
    expect(toHex(canonicalRecordBytes(record))).toContain('f09f9880f09d849e'); // U+1F600 U+1D11E
    for (const bad of [createAuditRecord({ body: '\ud800' }), createAuditRecord({ eventName: 'x\udfff' })]) {
      expect(() => canonicalRecordBytes(bad)).toThrow(CanonicalEncodingError);
    }
    try {
      canonicalRecordBytes(createAuditRecord({ attributes: [{ key: 'a\ud800', value: 1n }] }));
      expect.unreachable();
    } catch (error) {
      expect((error as CanonicalEncodingError).code).toBe('INTEGRITY_CANONICAL');
      expect((error as CanonicalEncodingError).problem).toBe('lone-surrogate');
    }
  });

  it('keeps duplicate keys, in order', () => {
    const a: KeyValue = { key: 'a', value: 1n };
    const a2: KeyValue = { key: 'a', value: 2n };
    const hashes = [[a, a2], [a2, a], [a2], [a], [a, a]].map((attributes) =>
      recordHashHex(createAuditRecord({ attributes })),
    );
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('excludes audit.integrity.* from record, resource and scope attributes, not from values', () => {
    const base = createAuditRecord({
      attributes: [{ key: 'k', value: 'v' }],
      resource: createAuditResource({ attributes: [{ key: 'service.name', value: 's' }] }),
    });
    const signed = createAuditRecord({
      attributes: [
        { key: 'audit.integrity.value', value: 'c2ln' },
        { key: 'k', value: 'v' },
        { key: 'audit.integrity.hash', value: 'ab' },
      ],
      resource: createAuditResource({
        attributes: [
          { key: 'service.name', value: 's' },
          { key: 'audit.integrity.algorithm', value: 'EdDSA' },
          { key: 'audit.integrity.certificate', value: 'sha256:00' },
        ],
      }),
      scope: createAuditScope({ attributes: [{ key: 'audit.integrity.signer', value: 'producer' }] }),
    });
    expect(text(signed)).toBe(text(base));
    const nested = { values: [{ key: 'audit.integrity.value', value: 'x' }] };
    expect(text(withBody(nested))).toContain('audit.integrity.value');
    // only the exact prefix is excluded
    const near = createAuditRecord({ attributes: [{ key: 'audit.integrity', value: 'x' }] });
    expect(text(near)).not.toBe(text(createAuditRecord()));
    const seq = createAuditRecord({ attributes: [{ key: 'audit.sequence.number', value: 1n }] });
    expect(text(seq)).not.toBe(text(createAuditRecord()));
  });

  it('tells an absent body from the empty AnyValue and from empty strings and containers', () => {
    expect(recordProjection(withBody(undefined))).not.toHaveProperty('body');
    const hashes = [undefined, null, '', [], { values: [] }, new Uint8Array(0)].map((b) =>
      recordHashHex(withBody(b)),
    );
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('refuses values nested deeper than the product ceiling', () => {
    let deep: AnyValue = 'leaf';
    for (let i = 1; i < 32; i++) deep = [deep];
    expect(() => canonicalRecordBytes(withBody(deep))).not.toThrow();
    try {
      canonicalRecordBytes(withBody([deep]));
      expect.unreachable();
    } catch (error) {
      expect((error as CanonicalEncodingError).problem).toBe('depth');
    }
  });

  it('writes exactly JCS of the projection object (the fast writer and the tree agree)', () => {
    const surrogates = fc.constantFrom('', '\ud800', 'a\udc00', '\ud83d\ude00');
    const arb = fc.tuple(recordArb(), surrogates, fc.constantFrom('eventName', 'severityText', 'body'));
    fc.assert(
      fc.property(arb, ([record, odd, field]) => {
        const r = odd === '' ? record : { ...record, [field]: odd };
        const fast = outcome(() => canonicalRecordBytes(r));
        expect(fast).toBe(outcome(() => canonicalJsonBytes(recordProjection(r))));
        if (!fast.startsWith('error'))
          expect(recordHashHex(r)).toBe(createHash('sha256').update(Buffer.from(fast, 'hex')).digest('hex'));
      }),
      { numRuns: 500 },
    );
    expect(canonicalJson(recordProjection(createAuditRecord()))).toBe(text(createAuditRecord()));
  });

  it('writes every string exactly as JCS does, over arbitrary UTF-16 incl. escapes and lone surrogates', () => {
    // The writer copies strings with nothing to escape as they are (a fast path); JCS (jcs.ts) is the reference.
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('"', '\\', '\u001f', '\u007f', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', 'é'),
    );
    const str = fc.string({ unit, maxLength: 24 });
    fc.assert(
      fc.property(str, str, str, (a, b, c) => {
        const r = {
          ...createAuditRecord(),
          eventName: a,
          body: b,
          attributes: [{ key: c, value: a }],
        };
        expect(outcome(() => canonicalRecordBytes(r))).toBe(
          outcome(() => canonicalJsonBytes(recordProjection(r))),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('is deterministic: independent of object identity, key order of the record object and freezing', () => {
    fc.assert(
      fc.property(recordArb(), (record) => {
        const copy = structuredClone(record);
        const reordered = Object.fromEntries(Object.entries(record).reverse()) as unknown as AuditRecord;
        const h = recordHashHex(record);
        expect(recordHashHex(copy)).toBe(h);
        expect(recordHashHex(reordered)).toBe(h);
        expect(recordHashHex(Object.freeze({ ...record }))).toBe(h);
      }),
      { numRuns: 200 },
    );
  });
});

// ---- "changing any field changes the hash" ----

const TOP_FIELDS = [
  'timeUnixNano',
  'observedTimeUnixNano',
  'severityNumber',
  'severityText',
  'body',
  'attributes',
  'droppedAttributesCount',
  'flags',
  'traceId',
  'spanId',
  'eventName',
] as const;
const RESOURCE_FIELDS = ['attributes', 'droppedAttributesCount', 'schemaUrl'] as const;
const SCOPE_FIELDS = ['name', 'version', 'attributes', 'droppedAttributesCount', 'schemaUrl'] as const;

function recordsEqual(a: AuditRecord, b: AuditRecord): boolean {
  return (
    keyValuesEqual(a.resource.attributes, b.resource.attributes) &&
    a.resource.droppedAttributesCount === b.resource.droppedAttributesCount &&
    a.resource.schemaUrl === b.resource.schemaUrl &&
    a.scope.name === b.scope.name &&
    a.scope.version === b.scope.version &&
    keyValuesEqual(a.scope.attributes, b.scope.attributes) &&
    a.scope.droppedAttributesCount === b.scope.droppedAttributesCount &&
    a.scope.schemaUrl === b.scope.schemaUrl &&
    TOP_FIELDS.every((f) =>
      f === 'body'
        ? anyValueEquals(a.body, b.body)
        : f === 'attributes'
          ? keyValuesEqual(a.attributes, b.attributes)
          : Object.is(a[f], b[f]),
    )
  );
}

/** Replaces the n-th (mod count) value slot of a body / attribute tree, depth first. */
function replaceNthSlot(list: readonly KeyValue[], n: number, replacement: AnyValue): KeyValue[] {
  const slots: { set: (v: AnyValue) => void }[] = [];
  const visit = (value: AnyValue, set: (v: AnyValue) => void): AnyValue => {
    slots.push({ set });
    if (Array.isArray(value)) {
      const copy = [...value];
      copy.forEach((element, i) => (copy[i] = visit(element, (v) => (copy[i] = v))));
      set(copy);
      return copy;
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
      const values = value.values.map((kv) => ({ ...kv }));
      values.forEach((kv) => (kv.value = visit(kv.value, (v) => (kv.value = v))));
      const copy = { values };
      set(copy);
      return copy;
    }
    return value;
  };
  const out = list.map((kv) => ({ ...kv }));
  out.forEach((kv) => (kv.value = visit(kv.value, (v) => (kv.value = v))));
  if (slots.length > 0) slots[n % slots.length]?.set(replacement);
  return out;
}

describe('a change to any one field changes the hash', () => {
  it('top-level, resource and scope fields', () => {
    const fieldArb = fc.oneof(
      fc.constantFrom(...TOP_FIELDS).map((f) => ({ part: 'record' as const, f })),
      fc.constantFrom(...RESOURCE_FIELDS).map((f) => ({ part: 'resource' as const, f })),
      fc.constantFrom(...SCOPE_FIELDS).map((f) => ({ part: 'scope' as const, f })),
    );
    fc.assert(
      fc.property(recordArb(), recordArb(), fieldArb, (a, other, { part, f }) => {
        let b: AuditRecord;
        if (part === 'record') b = { ...a, [f]: other[f as (typeof TOP_FIELDS)[number]] };
        else if (part === 'resource')
          b = { ...a, resource: { ...a.resource, [f]: other.resource[f as 'schemaUrl'] } };
        else b = { ...a, scope: { ...a.scope, [f]: other.scope[f as 'name'] } };
        expect(recordHashHex(a) === recordHashHex(b)).toBe(recordsEqual(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('one value anywhere inside the body or the attributes', () => {
    fc.assert(
      fc.property(recordArb(), fc.nat(), anyValueArb, fc.boolean(), (a, n, replacement, inBody) => {
        const b: AuditRecord = inBody
          ? { ...a, body: replaceNthSlot([{ key: '', value: a.body ?? null }], n, replacement)[0]?.value }
          : { ...a, attributes: replaceNthSlot(a.attributes, n, replacement) };
        if (inBody && a.body === undefined) b.body = undefined;
        expect(recordHashHex(a) === recordHashHex(b)).toBe(recordsEqual(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('adding, removing or reordering attributes', () => {
    fc.assert(
      fc.property(recordArb(), keyValuesArb, fc.nat(), (a, extra, n) => {
        const variants: KeyValue[][] = [
          [...a.attributes, ...extra],
          a.attributes.filter((_, i) => i !== n % Math.max(1, a.attributes.length)),
          [...a.attributes].reverse(),
        ];
        for (const attributes of variants) {
          const b = { ...a, attributes };
          expect(recordHashHex(a) === recordHashHex(b)).toBe(recordsEqual(a, b));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the byte writer (internal/projectionWriter.ts)', () => {
  const jcs = (r: AuditRecord): string => outcome(() => canonicalJsonBytes(recordProjection(r)));
  const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

  it('reports where a value is refused, as a path into the record', () => {
    let deep: AnyValue = 'x';
    for (let i = 0; i < 40; i++) deep = [deep];
    const kvlist = (values: unknown[]): AnyValue => ({ values }) as unknown as AnyValue;
    // A string value one level past the depth ceiling (32 nested kvlists).
    let deepKvlist: AnyValue = kvlist([{ key: 'k', value: 's' }]);
    for (let i = 0; i < 31; i++) deepKvlist = kvlist([{ key: 'n', value: deepKvlist }]);
    const cases: [Partial<AuditRecord>, string][] = [
      [
        {
          attributes: [
            { key: 'a', value: 1n },
            { key: 'audit.integrity.hash', value: 'h' },
            {
              key: 'k',
              value: kvlist([
                { key: 'x', value: 'ok' },
                { key: '\ud800', value: 1n },
              ]),
            },
          ],
        },
        'lone-surrogate attributes[2].value.values[1].key',
      ],
      [{ body: ['a', [undefined as unknown as AnyValue]] }, 'unsupported-type body[1][0]'],
      [
        { resource: createAuditResource({ attributes: [null as unknown as KeyValue] }) },
        'unsupported-type resource.attributes[0]',
      ],
      [
        {
          scope: createAuditScope({
            name: 'n',
            attributes: [
              { key: 'a', value: 'b' },
              { key: 'c', value: 'x\udc00' },
            ],
          }),
        },
        'lone-surrogate scope.attributes[1].value.stringValue',
      ],
      [{ eventName: '\ud83d' }, 'lone-surrogate event_name'],
      [{ attributes: [{ key: 'd', value: deep }] }, `depth attributes[0].value${'[0]'.repeat(32)}`],
      [
        { attributes: [{ key: 'd', value: kvlist([{ nokey: 1 }]) }] },
        'unsupported-type attributes[0].value.values[0]',
      ],
      [
        { body: kvlist([{ key: 'x', value: [1, 2, kvlist([{ key: 'y', value: Symbol('s') }])] }]) },
        'unsupported-type body.values[0].value[2].values[0].value',
      ],
      [
        { attributes: [{ key: 'audit.integrity.x', value: 'v' }, 5 as unknown as KeyValue] },
        'unsupported-type attributes[1]',
      ],
      [{ flags: NaN }, 'non-finite-number flags'],
      // String-valued entries take a shortcut in the writer; its failures must name the same paths.
      [
        {
          attributes: [
            { key: 'a', value: 'b' },
            { key: '\udc00', value: 's' },
          ],
        },
        'lone-surrogate attributes[1].key',
      ],
      [{ attributes: [{ key: 'a', value: 'x\ud800y' }] }, 'lone-surrogate attributes[0].value.stringValue'],
      [
        {
          attributes: [
            {
              key: 'd',
              value: kvlist([
                { key: 'e', value: 'ok' },
                { key: 'f', value: '\ud800' },
              ]),
            },
          ],
        },
        'lone-surrogate attributes[0].value.values[1].value.stringValue',
      ],
      [
        { attributes: [{ key: 'd', value: deepKvlist }] },
        `depth attributes[0]${'.value.values[0]'.repeat(32)}.value`,
      ],
    ];
    for (const [fields, expected] of cases) {
      const r = { ...createAuditRecord(), ...fields };
      for (const write of [canonicalRecordBytes, recordHash]) {
        try {
          write(r);
          expect.unreachable(expected);
        } catch (error) {
          const e = error as CanonicalEncodingError;
          expect(`${e.problem} ${e.path}`).toBe(expected);
        }
      }
      // The writer starts the next record afresh after an error.
      expect(outcome(() => canonicalRecordBytes(createAuditRecord()))).toBe(jcs(createAuditRecord()));
    }
  });

  it('grows its scratch for a large record, and a small record after it is written alone', () => {
    const mixed = 'aé€😀"\\\n'.repeat(2000); // 1-, 2-, 3- and 4-byte UTF-8 and escapes: ~40 KB
    const big: AuditRecord = {
      ...createAuditRecord(),
      body: mixed,
      attributes: [
        { key: 'ascii', value: 'x'.repeat(10_000) },
        { key: 'two-byte', value: 'é'.repeat(5_000) },
      ],
    };
    const bytes = canonicalRecordBytes(big);
    expect(bytes.length).toBeGreaterThan(40_000);
    expect(toHex(bytes)).toBe(jcs(big));
    expect(toHex(recordHash(big))).toBe(sha256Hex(bytes));
    const small = createAuditRecord({ eventName: 'e' });
    expect(toHex(canonicalRecordBytes(small))).toBe(jcs(small));
    expect(toHex(recordHash(small))).toBe(sha256Hex(canonicalRecordBytes(small)));
  });

  it('does not keep a huge scratch after a huge record (it would hold the largest record ever seen)', () => {
    // A 4 Mi-character body reserves 3 bytes per UTF-16 unit: a 12 MiB scratch while it is written.
    const huge = createAuditRecord({ body: 'x'.repeat(4 * 1024 * 1024) });
    expect(projectionBytes(huge, PROJECTION_VERSION).buffer.byteLength).toBeGreaterThan(12 * 1024 * 1024);
    const small = createAuditRecord({ eventName: 'e' });
    const view = projectionBytes(small, PROJECTION_VERSION);
    expect(view.buffer.byteLength).toBeLessThanOrEqual(SCRATCH_BYTES_KEPT_MAX);
    expect(toHex(view)).toBe(jcs(small));
  });

  it('returns bytes of its own: a later record does not change them', () => {
    const a = canonicalRecordBytes(createAuditRecord({ eventName: 'first' }));
    const before = toHex(a);
    canonicalRecordBytes(createAuditRecord({ eventName: 'second, and longer than the first' }));
    recordHash(createAuditRecord({ eventName: 'third' }));
    expect(toHex(a)).toBe(before);
  });

  it('writes the integer fields as JCS does, over their whole range', () => {
    const uint32 = fc.oneof(
      // -0 takes the digit-by-digit path (it is >= 0 and an int32): JCS writes it as 0.
      fc.constantFrom(0, -0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1),
      fc.nat({ max: 2 ** 32 - 1 }),
    );
    fc.assert(
      fc.property(
        uint32,
        uint32,
        fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constant(-0)),
        (flags, dropped, sev) => {
          const r = { ...createAuditRecord(), flags, droppedAttributesCount: dropped, severityNumber: sev };
          expect(toHex(canonicalRecordBytes(r))).toBe(jcs(r));
        },
      ),
      { numRuns: 500 },
    );
  });
});
