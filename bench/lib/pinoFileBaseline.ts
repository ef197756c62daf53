/**
 * The non-durable baseline of the pipeline benchmark: pino writing the same
 * audit events (same attributes, event name and message) as JSON lines to a
 * file through `pino.destination({ dest, sync: true })` — SonicBoom doing one
 * synchronous write(2) per line into the page cache, never an fsync. Unlike
 * `pinoBaseline.ts` (fixed-size lines for the WAL benchmark) it takes the
 * events to log, so every contender of one run logs identical content.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { msSince } from './stats.ts';

export interface PinoFileBaselineOptions {
  /** Directory for the log file (removed afterwards). */
  readonly dir: string;
  /** Pre-built `[fields, message]` pairs, used round-robin. */
  readonly lines: ReadonlyArray<readonly [Record<string, unknown>, string]>;
  readonly records: number;
}

export interface PinoFileBaselineResult {
  readonly recordsPerSecond: number;
  readonly elapsedMs: number;
  readonly fileBytes: number;
  readonly lineBytesAvg: number;
}

export async function measurePinoFile(o: PinoFileBaselineOptions): Promise<PinoFileBaselineResult> {
  const file = path.join(o.dir, `pino-${process.pid}-${Date.now()}.log`);
  const dest = pino.destination({ dest: file, sync: true });
  const logger = pino({}, dest);
  const n = o.lines.length;
  try {
    const start = process.hrtime.bigint();
    for (let i = 0; i < o.records; i++) {
      const [fields, message] = o.lines[i % n] as readonly [Record<string, unknown>, string];
      logger.info(fields, message);
    }
    dest.flushSync();
    const elapsedMs = msSince(start);
    const fileBytes = fs.statSync(file).size;
    return {
      recordsPerSecond: (o.records * 1000) / elapsedMs,
      elapsedMs,
      fileBytes,
      lineBytesAvg: fileBytes / o.records,
    };
  } finally {
    dest.end();
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.once('error', () => resolve());
    });
    fs.rmSync(file, { force: true });
  }
}
