/**
 * A validated, compiled action: what `runAction` applies to each record.
 * Values from the configuration are converted once (yamlValue.ts);
 * regular expressions are compiled once.
 */
import type { AnyValue } from '../../src/record/AnyValue.ts';
import type { ConvertedType } from './convertValue.ts';

export type ActionPlan =
  | {
      readonly kind: 'set';
      readonly mode: 'insert' | 'update' | 'upsert';
      readonly key: string;
      /** The configured value, or the attribute to copy from. */
      readonly source: { readonly value: AnyValue } | { readonly fromAttribute: string } | undefined;
      /** Used when the source yields nothing (`default_value`). */
      readonly fallback: AnyValue | undefined;
    }
  | {
      readonly kind: 'delete' | 'hash';
      readonly key: string | undefined;
      readonly pattern: RegExp | undefined;
    }
  | {
      readonly kind: 'extract';
      readonly key: string;
      readonly pattern: RegExp;
      readonly names: readonly string[];
    }
  | { readonly kind: 'convert'; readonly key: string; readonly to: ConvertedType };
