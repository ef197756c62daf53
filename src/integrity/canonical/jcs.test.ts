/**
 * RFC 8785 known answers (testdata/integrity/vectors/jcs.json: Appendix B
 * number samples, the §3.2.2 and §3.2.3 examples) and the rules the vectors
 * do not pin: rejection of non-JSON values, depth limit, determinism.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalEncodingError } from './CanonicalEncodingError.ts';
import { canonicalJson, canonicalJsonBytes, type JsonValue } from './jcs.ts';
import { loadVectorJson, toHex } from './testutil/vectors.ts';

interface JcsVectors {
  numbers: { ieee754: string; expected: string }[];
  numberErrors: { ieee754: string; error: string }[];
  literalNumbers: { value: string; expected: string }[];
  documents: { name: string; input: string; expected: string; expectedUtf8Hex: string }[];
  errors: { name: string; input: string; error: string }[];
}

const V = loadVectorJson<JcsVectors>('jcs.json');
const fromIeee = (hex: string): number => Buffer.from(hex, 'hex').readDoubleBE(0);

function problemOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CanonicalEncodingError);
    expect((error as CanonicalEncodingError).code).toBe('INTEGRITY_CANONICAL');
    return (error as CanonicalEncodingError).problem;
  }
  throw new Error('expected a CanonicalEncodingError');
}

describe('RFC 8785 Appendix B number serialization', () => {
  for (const v of V.numbers) {
    it(`${v.ieee754} → ${v.expected}`, () => {
      expect(canonicalJson(fromIeee(v.ieee754))).toBe(v.expected);
      expect(canonicalJson([fromIeee(v.ieee754)])).toBe(`[${v.expected}]`);
    });
  }
  for (const v of V.numberErrors) {
    it(`${v.ieee754} is refused`, () => {
      expect(problemOf(() => canonicalJson({ n: fromIeee(v.ieee754) }))).toBe(v.error);
    });
  }
  for (const v of V.literalNumbers) {
    it(`literal ${v.value} → ${v.expected}`, () => {
      expect(canonicalJson(JSON.parse(v.value) as number)).toBe(v.expected);
    });
  }
});

describe('RFC 8785 documents', () => {
  for (const v of V.documents) {
    it(v.name, () => {
      const value = JSON.parse(v.input) as JsonValue;
      expect(canonicalJson(value)).toBe(v.expected);
      expect(toHex(canonicalJsonBytes(value))).toBe(v.expectedUtf8Hex);
    });
  }
  for (const v of V.errors) {
    it(`refuses: ${v.name}`, () => {
      expect(problemOf(() => canonicalJson(JSON.parse(v.input) as JsonValue))).toBe(v.error);
    });
  }
});

describe('canonicalJson', () => {
  it('escapes exactly the characters RFC 8785 §3.2.2.2 names, in lowercase hex', () => {
    let all = '';
    for (let c = 0; c < 0x80; c++) all += String.fromCharCode(c);
    const out = canonicalJson(all);
    expect(out).toBe(JSON.stringify(all));
    expect(out).toContain('\\u001f');
    expect(out).toContain('\\b\\t\\n\\u000b\\f\\r');
    expect(out).toContain('\u007f'); // DEL is not escaped
    expect(canonicalJson('a😀\u2028</>')).toBe('"a😀\u2028</>"');
  });

  it('sorts keys by UTF-16 code units, not code points', () => {
    // U+FB33 (one unit 0xFB33) sorts AFTER U+1F600 (units 0xD83D 0xDE00)
    expect(canonicalJson({ '\ufb33': 1, '\u{1f600}': 2 })).toBe('{"\u{1f600}":2,"\ufb33":1}');
  });

  it('accepts null-prototype objects and ignores insertion order', () => {
    const a = Object.assign(Object.create(null) as Record<string, JsonValue>, { b: 1, a: 2 });
    expect(canonicalJson(a)).toBe('{"a":2,"b":1}');
    expect(canonicalJson({ __proto__: null, a: 2, b: 1 } as unknown as JsonValue)).toBe('{"a":2,"b":1}');
  });

  it('refuses values that are not JSON data', () => {
    const bad: unknown[] = [undefined, 1n, Symbol('s'), () => 1, new Date(0), new Uint8Array(1), new Map()];
    for (const value of bad) {
      expect(problemOf(() => canonicalJson(value as JsonValue))).toBe('unsupported-type');
      expect(problemOf(() => canonicalJson({ k: value } as JsonValue))).toBe('unsupported-type');
    }
    // eslint-disable-next-line no-sparse-arrays
    expect(problemOf(() => canonicalJson([1, , 3] as JsonValue))).toBe('unsupported-type');
  });

  it('names the path of the offending value', () => {
    try {
      canonicalJson({ a: [{ 'odd key': NaN }] });
      expect.unreachable();
    } catch (error) {
      expect((error as CanonicalEncodingError).path).toBe('a[0]["odd key"]');
    }
  });

  it('limits nesting depth (and so cycles)', () => {
    let deep: JsonValue = [];
    for (let i = 1; i < 256; i++) deep = [deep];
    expect(canonicalJson(deep)).toHaveLength(512);
    expect(problemOf(() => canonicalJson([deep]))).toBe('depth');
    expect(problemOf(() => canonicalJson([[1]], { depthMax: 1 }))).toBe('depth');
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(problemOf(() => canonicalJson(cycle as JsonValue))).toBe('depth');
  });

  it('is a fixed point: parsing canonical output and canonicalizing again changes nothing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalJson(value as JsonValue);
        expect(canonicalJson(JSON.parse(once) as JsonValue)).toBe(once);
        expect(JSON.parse(once)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
