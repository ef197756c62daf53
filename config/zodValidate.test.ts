import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pathKey } from './internal/path.ts';
import { validateWithSchema } from './internal/zodValidate.ts';

const none = new Map<string, { original: string }>();

describe('validateWithSchema', () => {
  it('reports a union of plain types as one readable issue', () => {
    const schema = z.strictObject({ size: z.union([z.string(), z.number()]) });
    expect(validateWithSchema(schema, { size: true }, ['x'], none)).toEqual({
      ok: false,
      issues: [{ path: ['x', 'size'], message: 'expected a string or a number, got true' }],
    });
  });

  it('reports a failed union of objects through the branch that got furthest', () => {
    const schema = z.union([
      z.strictObject({ kind: z.literal('file'), path: z.string() }),
      z.strictObject({ kind: z.literal('s3'), bucket: z.strictObject({ name: z.string() }) }),
    ]);
    const result = validateWithSchema(schema, { kind: 's3', bucket: { nmae: 'b' } }, ['e'], none);
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: ['e', 'bucket', 'name'], message: 'is required (expected a string)' },
        {
          path: ['e', 'bucket'],
          message: 'has invalid keys: nmae (did you mean "name"?)',
          locate: ['e', 'bucket', 'nmae'],
        },
      ],
    });
  });

  it('gives a string field the text of a typed ${...} value, also inside unions', () => {
    const originals = new Map([
      [pathKey(['c', 'a']), { original: '007' }],
      [pathKey(['c', 'b']), { original: 'true' }],
      [pathKey(['c', 'n']), { original: '8' }],
    ]);
    const schema = z.strictObject({
      a: z.string(),
      b: z.union([z.string(), z.array(z.string())]),
      n: z.number(),
    });
    expect(validateWithSchema(schema, { a: 7, b: true, n: 8 }, ['c'], originals)).toEqual({
      ok: true,
      value: { a: '007', b: 'true', n: 8 },
    });
  });

  it('keeps a message the schema sets itself', () => {
    const schema = z.strictObject({ port: z.number().max(65535, { error: 'is not a TCP port' }) });
    expect(validateWithSchema(schema, { port: 70000 }, [], none)).toEqual({
      ok: false,
      issues: [{ path: ['port'], message: 'is not a TCP port' }],
    });
  });
});
