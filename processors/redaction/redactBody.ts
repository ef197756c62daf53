/**
 * The contrib's `processLogBody` (contrib v0.12x and later; earlier versions
 * left the body alone):
 * - a map body: per top-level key — ignored (counted), not allowed (removed),
 *   matching `blocked_key_patterns` (masked whole; a non-string value becomes
 *   `****`), otherwise recursively; nested keys are reported as `a.b`, list
 *   elements as `a.[0]`;
 * - a list body: element by element (`[0]`, `[1]`, ...);
 * - any other body, and every leaf: its string form (`AsString`) — left alone
 *   when it matches `allowed_values` (listed), else the matches of
 *   `blocked_values` masked.
 * Then the `redaction.body.*` summary on the record's attributes — except for
 * a scalar body that `allowed_values` allows, where the contrib returns
 * before writing any summary (reproduced as is).
 */
import { isKeyValueList, type AnyValue, type KeyValue } from '../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import type { PatternWork } from '../audit_mask/engine/PatternWork.ts';
import { asString } from '../filter/match/anyValueText.ts';
import type { RedactionRules } from './RedactionRules.ts';
import { emptyKeyLists, SUMMARY_NAMES, writeRedactionSummary, type KeyLists } from './redactionSummary.ts';

const KEEP: unique symbol = Symbol('keep');

export function redactBody(record: MutableLogRecordView, rules: RedactionRules, work: PatternWork): void {
  const body = record.getBody() ?? null;
  const lists = emptyKeyLists();
  let outcome: AnyValue | typeof KEEP;
  if (isKeyValueList(body)) {
    outcome = redactMap(body.values, undefined, rules, lists, work);
  } else if (Array.isArray(body)) {
    outcome = redactList(body, undefined, rules, lists, work);
  } else {
    const text = asString(body);
    if (rules.allowValue(text, work)) return;
    const processed = rules.maskBlockedValues(text, work);
    if (processed !== text) lists.masked.push('body');
    outcome = processed !== text ? processed : KEEP;
  }
  if (outcome !== KEEP) record.setBody(outcome);
  writeRedactionSummary(record, rules.compiled.summary, SUMMARY_NAMES.body, lists);
}

function redactValue(
  path: string,
  value: AnyValue,
  rules: RedactionRules,
  lists: KeyLists,
  work: PatternWork,
): AnyValue | typeof KEEP {
  if (isKeyValueList(value)) return redactMap(value.values, path, rules, lists, work);
  if (Array.isArray(value)) return redactList(value, path, rules, lists, work);
  const text = asString(value);
  if (rules.allowValue(text, work)) {
    lists.allowed.push(path);
    return KEEP;
  }
  const processed = rules.maskBlockedValues(text, work);
  if (processed === text) return KEEP;
  lists.masked.push(path);
  return processed;
}

/** `parent` undefined: the body itself (top-level keys are reported bare, removals listed after the rest). */
function redactMap(
  entries: readonly KeyValue[],
  parent: string | undefined,
  rules: RedactionRules,
  lists: KeyLists,
  work: PatternWork,
): AnyValue | typeof KEEP {
  const out: KeyValue[] = [];
  const removed: string[] = [];
  let changed = false;
  for (const { key, value } of entries) {
    const path = parent === undefined ? key : `${parent}.${key}`;
    if (rules.ignoreKey(key, work)) {
      lists.ignored.push(path);
      out.push({ key, value });
    } else if (rules.redactKey(key)) {
      removed.push(path);
      changed = true;
    } else if (rules.maskKey(key, work)) {
      lists.masked.push(path);
      out.push({ key, value: rules.maskWhole(typeof value === 'string' ? value : '') });
      changed = true;
    } else {
      const outcome = redactValue(path, value, rules, lists, work);
      out.push({ key, value: outcome === KEEP ? value : outcome });
      changed ||= outcome !== KEEP;
    }
  }
  lists.redacted.push(...removed);
  return changed ? { values: out } : KEEP;
}

function redactList(
  values: readonly AnyValue[],
  parent: string | undefined,
  rules: RedactionRules,
  lists: KeyLists,
  work: PatternWork,
): AnyValue | typeof KEEP {
  let copy: AnyValue[] | undefined;
  values.forEach((value, i) => {
    const path = parent === undefined ? `[${i}]` : `${parent}.[${i}]`;
    const outcome = redactValue(path, value, rules, lists, work);
    if (outcome === KEEP) return;
    copy ??= values.slice();
    copy[i] = outcome;
  });
  return copy ?? KEEP;
}
