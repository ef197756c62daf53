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
      const shown = escapeControls(segment);
      out += out === '' ? shown : `::${shown}`;
    }
  }
  return out;
}

/**
 * Control characters of a key as `\u001b`: a key from the YAML must not send terminal escapes to the
 * operator's terminal, nor split the one-issue-per-line output with a newline.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A stable map key for a path (segments may contain `::`, so the display form is not one). */
export function pathKey(path: ConfigPath): string {
  return JSON.stringify(path);
}
