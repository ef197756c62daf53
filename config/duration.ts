/**
 * Go `time.Duration` strings as the Collector writes them (`5s`, `1m30s`,
 * `250ms`, `1.5h`, `10us`), for Collector-compatible config keys. A bare
 * number is taken as nanoseconds, as Go's YAML decoding of an integer does.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;

/** Milliseconds of a Go duration string, or undefined when it is not one. */
export function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = PART.exec(rest); m; m = PART.exec(rest)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    consumed = PART.lastIndex;
  }
  return consumed === rest.length ? sign * total : undefined;
}

/** A zod schema for a non-negative Go duration (string) or nanoseconds (number); output in milliseconds. */
export const goDurationMs = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v / 1e6 : parseGoDurationMs(v.trim());
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration such as "5s", "250ms" or "1m30s", got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/**
 * The longest delay a Node timer takes (2^31 - 1 ms = 596h31m23.647s): setTimeout / setInterval with a
 * longer one fire after 1 ms instead (with only a process warning), so a duration that becomes a timer is
 * refused beyond it.
 */
export const TIMER_MS_MAX = 2 ** 31 - 1;

/** `ms` as a Go duration string (`596h31m23.647s`), for messages. */
export function goDurationText(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${h}h${m}m${sec}s`;
}

/** `goDurationMs` for a duration that becomes a timer: at most `maxMs` (default `TIMER_MS_MAX`). */
export const timerDurationMs = (maxMs: number = TIMER_MS_MAX) =>
  goDurationMs.pipe(
    z.number().max(maxMs, `must be at most ${goDurationText(maxMs)} (the longest Node timer)`),
  );
