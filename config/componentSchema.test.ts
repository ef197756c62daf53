import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkComponentSchema } from './checkComponentSchema.ts';
import { formatComponentId, parseComponentId } from './componentId.ts';
import { createComponentCatalog } from './componentSchema.ts';
import type { ComponentSchema } from './componentSchema.ts';
import { FAKE_COMPONENTS, fakeCatalog, fakeOtlpHttpExporter } from './testing/fakeComponents.ts';

describe('ComponentCatalog', () => {
  it('looks components up by kind and type or alias', () => {
    const catalog = fakeCatalog();
    expect(catalog.lookup('exporter', 'otlp_http')).toBe(fakeOtlpHttpExporter);
    expect(catalog.lookup('exporter', 'otlphttp')).toBe(fakeOtlpHttpExporter);
    expect(catalog.lookup('receiver', 'otlphttp')).toBeUndefined();
    expect(catalog.types('exporter')).toEqual(['audit_wal', 'otlp_http']);
    expect(catalog.types('extension')).toEqual(['bearertokenauth', 'health_check']);
  });

  it('refuses a type registered twice and invalid type names', () => {
    const clash: ComponentSchema = { ...fakeOtlpHttpExporter, type: 'other', aliases: ['otlp_http'] };
    expect(() => createComponentCatalog([fakeOtlpHttpExporter, clash])).toThrow(
      'exporter type "otlp_http" is registered twice',
    );
    expect(() => createComponentCatalog([{ ...fakeOtlpHttpExporter, type: 'otlp-http' }])).toThrow(
      'invalid exporter type name "otlp-http"',
    );
  });
});

describe('checkComponentSchema', () => {
  it('accepts every test fixture component', () => {
    for (const component of FAKE_COMPONENTS)
      expect(checkComponentSchema(component), component.type).toEqual([]);
  });

  it('finds objects that let unknown keys through, at any depth', () => {
    const loose: ComponentSchema = {
      type: 'loose',
      kind: 'processor',
      configSchema: z.strictObject({
        a: z.object({ b: z.string().optional() }).optional(),
        list: z.array(z.looseObject({})).default([]),
        either: z.union([z.string(), z.strictObject({ c: z.object({}).nullable() })]).optional(),
      }),
      createDefaultConfig: () => ({}),
    };
    expect(checkComponentSchema(loose)).toEqual([
      'the object at "a" is not strict: use z.strictObject so that typos are rejected',
      'the object at "list[0]" is not strict: use z.strictObject so that typos are rejected',
      'the object at "either::c" is not strict: use z.strictObject so that typos are rejected',
    ]);
  });

  it('finds defaults that the schema refuses or that are shared between calls', () => {
    const shared = { size: 0 };
    const broken: ComponentSchema = {
      type: 'broken',
      kind: 'exporter',
      configSchema: z.strictObject({ size: z.number().int().positive() }),
      createDefaultConfig: () => shared,
    };
    expect(checkComponentSchema(broken)).toEqual([
      'createDefaultConfig() returns the same object twice; it must return a fresh value',
      'the default configuration does not pass the schema: size: Too small: expected number to be >0',
    ]);
  });
});

describe('component ids', () => {
  it.each([
    ['otlp', { type: 'otlp' }],
    ['otlp/a', { type: 'otlp', name: 'a' }],
    [' otlp / a ', { type: 'otlp', name: 'a' }],
    ['audit_mask/pii/eu', { type: 'audit_mask', name: 'pii/eu' }],
    ['otlp/ünïcode-1.2', { type: 'otlp', name: 'ünïcode-1.2' }],
  ])('parses %j', (text, id) => {
    const parsed = parseComponentId(text);
    expect(parsed).toEqual({ ok: true, id });
    if (parsed.ok) expect(formatComponentId(parsed.id)).toBe(text.replace(/ /g, ''));
  });

  it.each(['', '/a', 'otlp/', '1otlp', 'ot-lp', 'otlp/a b', 'otlp/a+b', `x${'y'.repeat(63)}`])(
    'rejects %j',
    (text) => {
      expect(parseComponentId(text).ok).toBe(false);
    },
  );
});
