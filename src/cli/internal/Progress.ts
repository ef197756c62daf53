/**
 * Progress of long CLI work on stderr: `otel-audit: <task>: <n> <unit>` at
 * most every `intervalMs`, checked by the caller's loop (`tick`), so it costs
 * one clock read per item and needs no timer. Off unless enabled (the
 * commands enable it when stderr is a TTY or `--progress` is given).
 */
import type { Writable } from 'node:stream';

export const PROGRESS_INTERVAL_MS = 2000;

export class Progress {
  private readonly stream: Writable;
  private readonly label: string;
  private readonly unit: string;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private last: number;

  constructor(o: {
    readonly stream: Writable;
    readonly label: string;
    readonly unit: string;
    readonly intervalMs?: number;
    readonly now?: () => number;
  }) {
    this.stream = o.stream;
    this.label = o.label;
    this.unit = o.unit;
    this.intervalMs = o.intervalMs ?? PROGRESS_INTERVAL_MS;
    this.now = o.now ?? (() => performance.now());
    this.last = this.now();
  }

  tick(count: number): void {
    const now = this.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    this.stream.write(`otel-audit: ${this.label}: ${count} ${this.unit}\n`);
  }

  done(count: number): void {
    this.stream.write(`otel-audit: ${this.label}: ${count} ${this.unit}, done\n`);
  }
}
