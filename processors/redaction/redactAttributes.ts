/**
 * The contrib's `processAttrs` on a log record's attributes, in its order of
 * decisions per attribute:
 * 1. `ignored_keys` / `ignored_key_patterns`: left alone (counted);
 * 2. not in `allowed_keys` (and `allow_all_keys` false): removed;
 * 3. the value (a string; other types as `""`, or as their string form with
 *    `redact_all_types`) matches `allowed_values`: left alone (listed);
 * 4. the key matches `blocked_key_patterns`: the whole value masked (the
 *    attribute becomes a string);
 * 5. otherwise the matches of `blocked_values` are masked; a changed value
 *    becomes a string.
 * Then the summary (redactionSummary.ts).
 */
import type { KeyValue } from '../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import type { PatternWork } from '../audit_mask/engine/PatternWork.ts';
import { asString } from '../filter/match/anyValueText.ts';
import type { RedactionRules } from './RedactionRules.ts';
import { emptyKeyLists, SUMMARY_NAMES, writeRedactionSummary } from './redactionSummary.ts';

export function redactAttributes(
  record: MutableLogRecordView,
  rules: RedactionRules,
  work: PatternWork,
): void {
  const lists = emptyKeyLists();
  const updates: KeyValue[] = [];
  for (const { key, value } of record.attributes()) {
    if (rules.ignoreKey(key, work)) {
      lists.ignored.push(key);
      continue;
    }
    if (rules.redactKey(key)) {
      lists.redacted.push(key);
      continue;
    }
    const text = typeof value === 'string' ? value : rules.compiled.redactAllTypes ? asString(value) : '';
    if (rules.allowValue(text, work)) {
      lists.allowed.push(key);
      continue;
    }
    if (rules.maskKey(key, work)) {
      lists.masked.push(key);
      updates.push({ key, value: rules.maskWhole(text) });
      continue;
    }
    const processed = rules.maskBlockedValues(text, work);
    if (processed !== text) {
      lists.masked.push(key);
      updates.push({ key, value: processed });
    }
  }
  for (const { key, value } of updates) record.setAttribute(key, value);
  for (const key of lists.redacted) record.deleteAttribute(key);
  writeRedactionSummary(record, rules.compiled.summary, SUMMARY_NAMES.attributes, lists);
}
