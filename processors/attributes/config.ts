/**
 * `attributes` processor configuration (Collector contrib
 * `attributesprocessor`). YAML keys and meaning are the Collector's; see
 * README.md for the reference and the deviations. Actions and match
 * properties are compiled here, when the configuration is validated, so every
 * problem is reported with its YAML path.
 */
import { z } from 'zod';
import { ProblemList, reportProblems } from '../filter/match/problems.ts';
import { compileAttributes } from './compileAttributes.ts';

export const ATTRIBUTES_TYPE = 'attributes';

/** The most actions one processor accepts. */
export const ACTIONS_MAX = 1_024;

export const ACTION_NAMES = ['insert', 'update', 'upsert', 'delete', 'hash', 'extract', 'convert'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

const lowercase = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

const actionSchema = z.strictObject({
  key: z.string().optional(),
  /** Case-insensitive, as in the Collector. */
  action: z.preprocess(lowercase, z.enum(ACTION_NAMES)),
  value: z.unknown().optional(),
  pattern: z.string().optional(),
  from_attribute: z.string().optional(),
  from_context: z.string().optional(),
  converted_type: z.enum(['int', 'double', 'string']).optional(),
  default_value: z.unknown().optional(),
});

export type ActionConfig = z.infer<typeof actionSchema>;

const attributeSchema = z.strictObject({ key: z.string(), value: z.unknown().optional() });
const strings = z.array(z.string()).optional();

const matchPropertiesSchema = z.strictObject({
  match_type: z.enum(['strict', 'regexp']).optional(),
  /** Accepted for compatibility; there is no match cache to tune here. */
  regexp: z
    .strictObject({
      cacheenabled: z.boolean().optional(),
      cachemaxnumentries: z.number().int().min(0).optional(),
    })
    .optional(),
  log_bodies: strings,
  log_severity_texts: strings,
  log_severity_number: z
    .strictObject({
      min: z
        .number()
        .int()
        .min(-(2 ** 31))
        .max(2 ** 31 - 1)
        .optional(),
      match_undefined: z.boolean().optional(),
    })
    .optional(),
  attributes: z.array(attributeSchema).optional(),
  resources: z.array(attributeSchema).optional(),
  libraries: z
    .array(z.strictObject({ name: z.string(), version: z.string().nullable().optional() }))
    .optional(),
  // Properties of other signals: rejected with a message (see compileAttributes.ts).
  services: strings,
  span_names: strings,
  span_kinds: strings,
  metric_names: strings,
});

export type MatchProperties = z.infer<typeof matchPropertiesSchema>;

export const attributesConfigSchema = z
  .strictObject({
    actions: z.array(actionSchema).max(ACTIONS_MAX),
    include: matchPropertiesSchema.nullable().optional(),
    exclude: matchPropertiesSchema.nullable().optional(),
  })
  .superRefine((config, ctx) => {
    const problems = new ProblemList();
    compileAttributes(config, problems);
    reportProblems(ctx, problems);
  });

export type AttributesConfig = z.infer<typeof attributesConfigSchema>;

export function createDefaultAttributesConfig(): AttributesConfig {
  return { actions: [] };
}
