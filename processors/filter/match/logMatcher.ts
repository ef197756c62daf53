/**
 * Matching a log record against the Collector's match properties for logs
 * (`filterconfig.MatchProperties` as `filterlog` evaluates them): every
 * property that is given must match.
 * - bodies: the body's text (`asString`: a map body as JSON, no body as "")
 *   matches one of the items;
 * - severity texts: the severity text matches one of the items;
 * - severity number: unspecified (0) matches only with `match_undefined`,
 *   otherwise the number must be >= `min`;
 * - libraries: the scope name (and the version, when one is given; an empty
 *   version matches only an empty version) matches EVERY listed library — as
 *   the Collector's code does, although its README says "at least one";
 * - resources / attributes: see `attributesMatcher.ts`.
 *
 * Field names differ between the attributes processor (`log_bodies`, ...) and
 * the filter processor's legacy form (`bodies`, ...): callers pass theirs so
 * that problems point at the keys as written.
 *
 * A value over a regex's input cap is not tested; `overCap` is the answer
 * (false by default; an `include` list, which drops what does not match,
 * passes true so that such a record is kept).
 */
import type { MutableLogRecordView } from '../../../src/record/MutableLogRecordView.ts';
import { asString } from './anyValueText.ts';
import { compileAttributesMatcher, type AttributeSpec, type AttributesMatcher } from './attributesMatcher.ts';
import type { ProblemList, ProblemPath } from './problems.ts';
import { compileStringFilter, type MatchType, type StringFilter } from './stringFilter.ts';

export interface LibrarySpec {
  readonly name: string;
  /** Absent or null: any version. */
  readonly version?: string | null;
}

export interface SeverityNumberSpec {
  readonly min: number;
  readonly matchUndefined: boolean;
}

export interface LogMatchSpec {
  readonly matchType?: MatchType;
  readonly bodies?: readonly string[];
  readonly severityTexts?: readonly string[];
  readonly severityNumber?: SeverityNumberSpec;
  readonly attributes?: readonly AttributeSpec[];
  readonly resources?: readonly AttributeSpec[];
  readonly libraries?: readonly LibrarySpec[];
}

/** The YAML key of each property, for problem paths. */
export interface LogMatchKeys {
  readonly bodies: string;
  readonly severityTexts: string;
  readonly attributes: string;
  readonly resources: string;
  readonly libraries: string;
}

export type LogMatcher = (record: MutableLogRecordView) => boolean;

export function isEmptyLogMatchSpec(spec: LogMatchSpec): boolean {
  return (
    !spec.bodies?.length &&
    !spec.severityTexts?.length &&
    spec.severityNumber === undefined &&
    !spec.attributes?.length &&
    !spec.resources?.length &&
    !spec.libraries?.length
  );
}

export function compileLogMatcher(
  spec: LogMatchSpec,
  keys: LogMatchKeys,
  problems: ProblemList,
  path: ProblemPath,
  overCap = false,
): LogMatcher {
  const tests: LogMatcher[] = [];
  const needMatchType = (key: string) => problems.add([...path, key], 'needs match_type (strict or regexp)');
  const filter = (items: readonly string[] | undefined, key: string): StringFilter | undefined => {
    if (!items?.length) return undefined;
    if (spec.matchType === undefined) needMatchType(key);
    return compileStringFilter(items, spec.matchType, problems, [...path, key], overCap);
  };

  const bodies = filter(spec.bodies, keys.bodies);
  if (bodies !== undefined) tests.push((record) => bodies(asString(record.getBody())));
  const texts = filter(spec.severityTexts, keys.severityTexts);
  if (texts !== undefined) tests.push((record) => texts(record.severityText));
  const severity = spec.severityNumber;
  if (severity !== undefined) {
    tests.push((record) =>
      record.severityNumber === 0 ? severity.matchUndefined : record.severityNumber >= severity.min,
    );
  }
  spec.libraries?.forEach((library, index) => {
    const at = [...path, keys.libraries, index];
    if (spec.matchType === undefined) return needMatchType(keys.libraries);
    const name = compileStringFilter([library.name], spec.matchType, problems, [...at, 'name'], overCap);
    const version =
      library.version === undefined || library.version === null
        ? undefined
        : compileStringFilter([library.version], spec.matchType, problems, [...at, 'version'], overCap);
    tests.push((record) => (name?.(record.scopeName) ?? false) && (version?.(record.scopeVersion) ?? true));
  });
  const resources = attributes(spec.resources, keys.resources);
  if (resources !== undefined) tests.push((record) => resources((key) => record.getResourceAttribute(key)));
  const records = attributes(spec.attributes, keys.attributes);
  if (records !== undefined) tests.push((record) => records((key) => record.getAttribute(key)));

  return (record) => tests.every((test) => test(record));

  function attributes(
    list: readonly AttributeSpec[] | undefined,
    key: string,
  ): AttributesMatcher | undefined {
    if (!list?.length) return undefined;
    return compileAttributesMatcher(list, spec.matchType, problems, [...path, key], overCap);
  }
}
