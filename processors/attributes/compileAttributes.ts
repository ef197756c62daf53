/**
 * Compiles an `attributes` configuration once: its actions, and its
 * `include` / `exclude` match properties (the Collector's
 * `filterconfig.MatchProperties` for logs — see ../filter/match/logMatcher.ts).
 */
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import { compileLogMatcher, isEmptyLogMatchSpec, type LogMatcher } from '../filter/match/logMatcher.ts';
import type { ProblemList } from '../filter/match/problems.ts';
import type { ActionPlan } from './actionPlan.ts';
import { compileAction } from './compileAction.ts';
import type { AttributesConfig, MatchProperties } from './config.ts';

export interface CompiledAttributes {
  readonly actions: readonly ActionPlan[];
  /** True when the record is left alone (not included, or excluded). */
  readonly skip: ((record: MutableLogRecordView) => boolean) | undefined;
}

const KEYS = {
  bodies: 'log_bodies',
  severityTexts: 'log_severity_texts',
  attributes: 'attributes',
  resources: 'resources',
  libraries: 'libraries',
} as const;

export function compileAttributes(config: AttributesConfig, problems: ProblemList): CompiledAttributes {
  const actions: ActionPlan[] = [];
  config.actions.forEach((action, index) => {
    const plan = compileAction(action, index, problems);
    if (plan !== undefined) actions.push(plan);
  });
  const included = matcher(config.include, 'include', problems);
  const excluded = matcher(config.exclude, 'exclude', problems);
  const skip =
    included === undefined && excluded === undefined
      ? undefined
      : (record: MutableLogRecordView) =>
          (included !== undefined && !included(record)) || (excluded?.(record) ?? false);
  return { actions, skip };
}

function matcher(
  written: MatchProperties | null | undefined,
  key: 'include' | 'exclude',
  problems: ProblemList,
): LogMatcher | undefined {
  if (written === undefined) return undefined;
  const properties = written ?? {};
  const before = problems.items.length;
  for (const field of ['services', 'span_names', 'span_kinds'] as const) {
    if (properties[field]?.length) problems.add([key, field], 'is not valid for log records (spans only)');
  }
  if (properties.metric_names?.length)
    problems.add([key, 'metric_names'], 'is not valid for log records (metrics only)');
  if (problems.items.length > before) return undefined;
  const severity = properties.log_severity_number;
  const spec = {
    ...(properties.match_type === undefined ? {} : { matchType: properties.match_type }),
    bodies: properties.log_bodies ?? [],
    severityTexts: properties.log_severity_texts ?? [],
    ...(severity === undefined
      ? {}
      : { severityNumber: { min: severity.min ?? 0, matchUndefined: severity.match_undefined ?? false } }),
    attributes: properties.attributes ?? [],
    resources: properties.resources ?? [],
    libraries: properties.libraries ?? [],
  };
  if (isEmptyLogMatchSpec(spec)) {
    problems.add(
      [key],
      'must specify at least one of attributes, libraries, resources, log_bodies, log_severity_texts or log_severity_number',
    );
    return undefined;
  }
  // A value too long for a regex counts as matching `include` (and, by default, as not matching
  // `exclude`): it can never be the reason an action — a `delete` or `hash` of personal data — is skipped.
  return compileLogMatcher(spec, KEYS, problems, [key], key === 'include');
}
