/**
 * OpenTelemetry severity numbers and their short names (logs data model,
 * "Displaying Severity"): 1 = TRACE ... 24 = FATAL4; 0 is unspecified.
 */

export const SEVERITY_NUMBER_MAX = 24;

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;

/** `TRACE`, `TRACE2`, ..., `FATAL4`, indexed by severity number - 1. */
export const SEVERITY_SHORT_NAMES: readonly string[] = LEVELS.flatMap((level) => [
  level,
  `${level}2`,
  `${level}3`,
  `${level}4`,
]);

/**
 * The severity number of a short name (case-insensitive) or of its decimal
 * number `"1"`..`"24"`, as the Collector's filter processor accepts for
 * `severity_number.min`; undefined when it is neither.
 */
export function severityNumberOfName(name: string): number | undefined {
  if (/^[0-9]{1,2}$/.test(name)) {
    const n = Number(name);
    return n >= 1 && n <= SEVERITY_NUMBER_MAX && String(n) === name ? n : undefined;
  }
  const index = SEVERITY_SHORT_NAMES.indexOf(name.toUpperCase());
  return index < 0 ? undefined : index + 1;
}
