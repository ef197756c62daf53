/**
 * The YAML re-parse of the text a whole-scalar reference yields (the
 * Collector's `NewRetrievedFromYAML`): `4318` becomes a number, `true` a
 * boolean, `[a, b]` a list. Text that is not valid YAML stays a string.
 */
import { parseDocument } from 'yaml';

const EXPANDED_YAML_ALIAS_COUNT_MAX = 100;

export function parseExpandedText(text: string): unknown {
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true, merge: true, logLevel: 'error' });
  if (doc.errors.length > 0) return text;
  try {
    return doc.toJS({ maxAliasCount: EXPANDED_YAML_ALIAS_COUNT_MAX });
  } catch {
    return text;
  }
}
