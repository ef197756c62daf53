/**
 * Paths into the configuration tree, and their display form in the Collector's
 * `::` style: map keys are joined with `::`, list indices are shown as `[n]`
 * (`service::pipelines::logs::processors[1]`).
 */

export type ConfigPath = readonly (string | number)[];

export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else {
      out += out === '' ? segment : `::${segment}`;
    }
  }
  return out;
}

/** A stable map key for a path (segments may contain `::`, so the display form is not one). */
export function pathKey(path: ConfigPath): string {
  return JSON.stringify(path);
}
