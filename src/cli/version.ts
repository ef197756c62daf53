/**
 * The package version, read from package.json at start-up. The file is found
 * by walking up from this module, so the same code works from `src/cli/`
 * (run with Node's type stripping) and from `dist/src/cli/` (built).
 */
import { readFileSync } from 'node:fs';

const PACKAGE_NAME = 'otel-audit';
const LEVELS_UP_MAX = 4;

export function packageVersion(): string {
  for (let up = 1; up <= LEVELS_UP_MAX; up++) {
    const url = new URL(`${'../'.repeat(up)}package.json`, import.meta.url);
    let text: string;
    try {
      text = readFileSync(url, 'utf8');
    } catch {
      continue;
    }
    const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}
