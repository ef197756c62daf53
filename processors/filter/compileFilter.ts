/**
 * Compiles a filter configuration once: OTTL conditions, or the legacy
 * `include` / `exclude` match properties. Problems are collected with their
 * path below the component, for the schema and for `create`.
 */
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import type { FilterConfig, LogMatchProperties } from './config.ts';
import {
  compileLogMatcher,
  isEmptyLogMatchSpec,
  type LogMatcher,
  type LogMatchSpec,
} from './match/logMatcher.ts';
import type { ProblemList } from './match/problems.ts';
import { severityNumberOfName } from './match/severity.ts';
import { compileCondition, type OttlCondition } from './ottl/compile.ts';
import { OttlParseError } from './ottl/errors.ts';

export interface CompiledFilter {
  readonly conditions: readonly OttlCondition[];
  /** Legacy form: true when the record must be dropped (not included, or excluded). */
  readonly skip: ((record: MutableLogRecordView) => boolean) | undefined;
}

const LEGACY_KEYS = {
  bodies: 'bodies',
  severityTexts: 'severity_texts',
  attributes: 'record_attributes',
  resources: 'resource_attributes',
  libraries: 'libraries',
} as const;

export function compileFilter(config: Pick<FilterConfig, 'logs'>, problems: ProblemList): CompiledFilter {
  const { log_record: written, include, exclude } = config.logs;
  const texts = written ?? [];
  if (texts.length > 0 && (include || exclude)) {
    problems.add(['logs'], 'cannot use OTTL conditions (log_record) and include/exclude at the same time');
  }
  const conditions: OttlCondition[] = [];
  texts.forEach((text, index) => {
    try {
      conditions.push(compileCondition(text));
    } catch (err) {
      if (!(err instanceof OttlParseError)) throw err;
      problems.add(['logs', 'log_record', index], err.message);
    }
  });
  const included = legacyMatcher(include, 'include', problems);
  const excluded = legacyMatcher(exclude, 'exclude', problems);
  const skip =
    included === undefined && excluded === undefined
      ? undefined
      : (record: MutableLogRecordView) =>
          (included !== undefined && !included(record)) || (excluded?.(record) ?? false);
  return { conditions, skip };
}

function legacyMatcher(
  properties: LogMatchProperties | null | undefined,
  key: 'include' | 'exclude',
  problems: ProblemList,
): LogMatcher | undefined {
  if (properties === undefined || properties === null) return undefined;
  const path = ['logs', key];
  const severity = properties.severity_number;
  let severityNumber: LogMatchSpec['severityNumber'];
  if (severity !== undefined) {
    const written = severity.min === undefined ? '' : String(severity.min);
    const min = written === '' ? 0 : severityNumberOfName(written);
    if (min === undefined) {
      problems.add(
        [...path, 'severity_number', 'min'],
        `"${written}" is not a valid severity (TRACE .. FATAL4 or 1 .. 24)`,
      );
    }
    severityNumber = { min: min ?? 0, matchUndefined: severity.match_undefined ?? false };
  }
  const spec: LogMatchSpec = {
    ...(properties.match_type === undefined ? {} : { matchType: properties.match_type }),
    bodies: properties.bodies ?? [],
    severityTexts: properties.severity_texts ?? [],
    ...(severityNumber === undefined ? {} : { severityNumber }),
    attributes: properties.record_attributes ?? [],
    resources: properties.resource_attributes ?? [],
  };
  // As the Collector: properties that specify nothing are ignored.
  if (isEmptyLogMatchSpec(spec)) return undefined;
  // A value too long for a regex to test keeps the record: it counts as included, and as not excluded.
  return compileLogMatcher(spec, LEGACY_KEYS, problems, path, key === 'include');
}
