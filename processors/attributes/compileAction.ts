/**
 * Validates one action as the Collector's `attraction.NewAttrProc` does and
 * compiles it. Problems carry the path below the component
 * (`actions[2]::pattern`).
 */
import { compileRegex } from '../filter/match/regex.ts';
import type { ProblemList } from '../filter/match/problems.ts';
import { yamlToAnyValue } from '../filter/match/yamlValue.ts';
import type { ActionPlan } from './actionPlan.ts';
import type { ActionConfig } from './config.ts';

const FROM_CONTEXT_UNSUPPORTED =
  'is not supported: otel-audit processors see one record, not the request it came in ' +
  '(client metadata, authentication); use from_attribute or value';

export function compileAction(
  action: ActionConfig,
  index: number,
  problems: ProblemList,
): ActionPlan | undefined {
  const at = ['actions', index];
  const before = problems.items.length;
  const present = (value: unknown) => value !== undefined && value !== null;
  const notUsed = (field: keyof ActionConfig) => {
    if (present(action[field]) && action[field] !== '')
      problems.add([...at, field], `is not used by action "${action.action}"`);
  };
  if (present(action.from_context) && action.from_context !== '')
    problems.add([...at, 'from_context'], FROM_CONTEXT_UNSUPPORTED);
  const key = action.key ?? '';
  const pattern = action.pattern ?? '';

  switch (action.action) {
    case 'insert':
    case 'update':
    case 'upsert': {
      if (key === '') problems.add([...at, 'key'], `is required for action "${action.action}"`);
      const hasValue = present(action.value);
      const fromAttribute = action.from_attribute ?? '';
      const sources =
        Number(hasValue) + Number(fromAttribute !== '') + Number((action.from_context ?? '') !== '');
      if (sources > 1)
        problems.add(at, 'only one of "value", "from_attribute" and "from_context" may be set');
      if (sources === 0 && !present(action.default_value)) {
        problems.add(
          at,
          `action "${action.action}" needs one of "value", "from_attribute", "from_context" or "default_value"`,
        );
      }
      notUsed('pattern');
      notUsed('converted_type');
      const value = hasValue ? toValue(action.value, [...at, 'value'], problems) : undefined;
      const fallback = present(action.default_value)
        ? toValue(action.default_value, [...at, 'default_value'], problems)
        : undefined;
      if (problems.items.length > before) return undefined;
      const source = value !== undefined ? { value } : fromAttribute !== '' ? { fromAttribute } : undefined;
      return { kind: 'set', mode: action.action, key, source, fallback };
    }
    case 'delete':
    case 'hash': {
      if (key === '' && pattern === '')
        problems.add(at, `action "${action.action}" needs "key" and/or "pattern"`);
      notUsed('value');
      notUsed('from_attribute');
      notUsed('converted_type');
      notUsed('default_value');
      const regex = pattern === '' ? undefined : toRegex(pattern, [...at, 'pattern'], problems);
      if (problems.items.length > before) return undefined;
      return { kind: action.action, key: key === '' ? undefined : key, pattern: regex };
    }
    case 'extract': {
      if (key === '') problems.add([...at, 'key'], 'is required for action "extract"');
      for (const field of ['value', 'from_attribute', 'default_value', 'converted_type'] as const)
        notUsed(field);
      if (pattern === '') problems.add([...at, 'pattern'], 'is required for action "extract"');
      const regex = pattern === '' ? undefined : toRegex(pattern, [...at, 'pattern'], problems);
      const names = regex === undefined ? [] : groupNames(regex, [...at, 'pattern'], problems);
      if (problems.items.length > before || regex === undefined) return undefined;
      return { kind: 'extract', key, pattern: regex, names };
    }
    case 'convert': {
      if (key === '') problems.add([...at, 'key'], 'is required for action "convert"');
      for (const field of ['value', 'from_attribute', 'default_value', 'pattern'] as const) notUsed(field);
      const to = action.converted_type;
      if (to === undefined)
        problems.add([...at, 'converted_type'], 'is required for action "convert" (int, double or string)');
      if (problems.items.length > before || to === undefined) return undefined;
      return { kind: 'convert', key, to };
    }
  }
}

function toValue(raw: unknown, path: (string | number)[], problems: ProblemList) {
  const converted = yamlToAnyValue(raw);
  if (converted.ok) return converted.value;
  problems.add(path, converted.message);
  return undefined;
}

function toRegex(pattern: string, path: (string | number)[], problems: ProblemList): RegExp | undefined {
  const compiled = compileRegex(pattern);
  if (compiled.ok) return compiled.regex;
  problems.add(path, compiled.message);
  return undefined;
}

/** The names of the capture groups, in order; every capture group must be named (as in the Collector). */
function groupNames(regex: RegExp, path: (string | number)[], problems: ProblemList): string[] {
  const groupCount = (new RegExp(`${regex.source}|`, regex.flags).exec('')?.length ?? 1) - 1;
  const names = Object.keys(new RegExp(`${regex.source}|`, regex.flags).exec('')?.groups ?? {});
  if (groupCount === 0 || names.length === 0) problems.add(path, 'contains no named capture groups');
  else if (names.length !== groupCount) {
    problems.add(
      path,
      'contains an unnamed capture group; name every group, e.g. (?P<name>...), or use (?:...)',
    );
  }
  return names;
}
