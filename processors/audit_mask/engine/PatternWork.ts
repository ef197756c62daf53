/**
 * The per-record budget of user-pattern work (linearRegex.ts): each run of a
 * user pattern over a string is charged `(length + 1) × program size` units
 * BEFORE it runs. When the record's budget cannot pay, the pattern does not
 * run and the caller takes the safe action instead (audit_mask: the whole
 * string is redacted as `pattern_limit`; redaction: the value is masked
 * whole): data that was not inspected is never let through, and the record
 * is never dropped. `refused` counts the refusals.
 *
 * Calibration (re2js 2.10, this project's 2-core machine, worst case found:
 * `\w{0,255}\w{0,255}x` over `(a×600 x)*`, the matcher stepping its whole
 * program at every character): 18–23 ns of CPU per unit (16,000 characters,
 * 16.4 M units, took 0.38 s through audit_mask), so the default budget of
 * 2^24 units bounds a record's pattern work to roughly 0.4 s of CPU, whatever
 * the patterns and the input. The backtracking engine this replaced took
 * ~2.2 s for 64 KiB of the same input (~35 s per MiB).
 */

export const PATTERN_WORK_UNITS_DEFAULT = 2 ** 24;

export class PatternWork {
  private remaining: number;
  /** Units charged so far. */
  used = 0;
  /** Pattern runs refused because the budget could not pay. */
  refused = 0;

  constructor(unitsMax: number) {
    this.remaining = unitsMax;
  }

  /** Starts a new record's budget, counters at zero (for an owner that keeps one PatternWork). */
  reset(unitsMax: number): void {
    this.remaining = unitsMax;
    this.used = 0;
    this.refused = 0;
  }

  /** True (and charged) when `units` of work may be done; false (and counted) otherwise. */
  take(units: number): boolean {
    if (units > this.remaining) {
      this.refused++;
      return false;
    }
    this.remaining -= units;
    this.used += units;
    return true;
  }
}
