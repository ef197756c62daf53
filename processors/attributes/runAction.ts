/**
 * Applies one compiled action to a record's attributes, as the Collector's
 * `AttrProc.Process` does. Lookups see the first entry of a key; `delete`
 * removes every entry of the key. Values are copied before they are set, so
 * two attributes never share one container.
 *
 * `hash` never leaves a clear-text copy behind: when a key occurs more than
 * once (invalid OTLP, but kept as received), its entries are replaced by one
 * entry, at the end, holding the hash of the first.
 */
import type { AnyValue, KeyValue } from '../../src/record/AnyValue.ts';
import { cloneAnyValue } from '../../src/record/anyValueOps.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import { regexInputLengthMax, regexMatches } from '../filter/match/regex.ts';
import type { ActionPlan } from './actionPlan.ts';
import { convertValue } from './convertValue.ts';
import { hashValue } from './hashValue.ts';

export function runAction(record: MutableLogRecordView, plan: ActionPlan): void {
  switch (plan.kind) {
    case 'set': {
      const value = sourceValue(record, plan.source) ?? plan.fallback;
      if (value === undefined) return;
      if (plan.mode !== 'upsert') {
        const exists = record.getAttribute(plan.key) !== undefined;
        if (exists !== (plan.mode === 'update')) return;
      }
      record.setAttribute(plan.key, cloneAnyValue(value));
      return;
    }
    case 'delete':
      if (plan.key !== undefined) record.deleteAttribute(plan.key);
      if (plan.pattern !== undefined) {
        for (const key of matchingKeys(record.attributes(), plan.pattern)) record.deleteAttribute(key);
      }
      return;
    case 'hash': {
      if (plan.pattern === undefined && record.getAttribute(plan.key ?? '') === undefined) return;
      const snapshot = record.attributes();
      if (plan.key !== undefined) hashAttribute(record, plan.key, snapshot);
      // As the Collector: the keys matching the pattern are hashed after `key` — a key that is
      // both named and matched is hashed twice.
      if (plan.pattern !== undefined) {
        for (const key of matchingKeys(snapshot, plan.pattern)) hashAttribute(record, key, snapshot);
      }
      return;
    }
    case 'extract': {
      const value = record.getAttribute(plan.key);
      if (typeof value !== 'string' || value.length > regexInputLengthMax(plan.pattern)) return;
      const match = plan.pattern.exec(value);
      if (match === null) return;
      for (const name of plan.names) record.setAttribute(name, match.groups?.[name] ?? '');
      return;
    }
    case 'convert': {
      const value = record.getAttribute(plan.key);
      if (value === undefined) return;
      const converted = convertValue(value, plan.to);
      if (converted !== undefined) record.setAttribute(plan.key, converted);
      return;
    }
  }
}

function sourceValue(
  record: MutableLogRecordView,
  source: Extract<ActionPlan, { kind: 'set' }>['source'],
): AnyValue | undefined {
  if (source === undefined) return undefined;
  return 'value' in source ? source.value : record.getAttribute(source.fromAttribute);
}

function hashAttribute(record: MutableLogRecordView, key: string, snapshot: readonly KeyValue[]): void {
  const value = record.getAttribute(key);
  if (value === undefined) return;
  const hashed = hashValue(value);
  if (snapshot.filter((kv) => kv.key === key).length > 1) record.deleteAttribute(key);
  record.setAttribute(key, hashed);
}

function matchingKeys(attributes: readonly KeyValue[], pattern: RegExp): string[] {
  const keys = new Set<string>();
  for (const { key } of attributes) if (regexMatches(pattern, key)) keys.add(key);
  return [...keys];
}
