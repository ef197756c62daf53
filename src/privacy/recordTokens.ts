/** The pseudonym tokens of a record: in attribute and body values, at any kvlist depth, with their paths. */
import { isKeyValueList, type AnyValue, type KeyValue } from '../record/AnyValue.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import { parsePseudonymToken } from './pseudonym.ts';

export interface FoundToken {
  /** From the record root, e.g. `['attributes', 'user.email']` or `['body', 'user', 'email']`. */
  readonly path: readonly string[];
  readonly token: string;
  readonly reversible: boolean;
}

export function recordTokens(record: AuditRecord): FoundToken[] {
  const found: FoundToken[] = [];
  const visit = (value: AnyValue, path: readonly string[]): void => {
    if (typeof value === 'string') {
      const parsed = parsePseudonymToken(value);
      if (parsed !== undefined) found.push({ path, token: value, reversible: parsed.reversal !== undefined });
    } else if (isKeyValueList(value)) {
      list(value.values, path);
    }
  };
  const list = (entries: readonly KeyValue[], path: readonly string[]): void => {
    for (const kv of entries) visit(kv.value, [...path, kv.key]);
  };
  list(record.attributes, ['attributes']);
  if (record.body !== undefined) visit(record.body, ['body']);
  return found;
}
