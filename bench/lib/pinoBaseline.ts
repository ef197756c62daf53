/**
 * The non-durable baseline: pino writing JSON lines to a file through
 * `pino.destination({ dest, sync: true })` (SonicBoom doing one synchronous
 * write(2) per line into the page cache, never fsync). This is what an
 * application pays for "ordinary" logging; a durable audit log is compared
 * against it.
 *
 * Records are comparable to an audit event: a small object of who / what /
 * where plus a message, padded so each emitted line is `lineBytes` bytes
 * (including pino's level, time, pid, hostname and the trailing newline).
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

export interface PinoBaselineOptions {
  /** Directory to write the log file in (the file is removed afterwards). */
  readonly dir: string;
  /** Number of records to write, e.g. 1_000_000. */
  readonly records: number;
  /** Target size of one emitted line in bytes (newline included), e.g. 256. */
  readonly lineBytes: number;
}

export interface PinoBaselineResult {
  readonly recordsPerSecond: number;
  readonly records: number;
  readonly elapsedMs: number;
  /** Measured size of one line (should equal `lineBytes` unless the fixed fields are longer). */
  readonly lineBytes: number;
  /** Size of the file after the run (records × lineBytes if all were written). */
  readonly fileBytes: number;
  /** Process CPU time (all threads, user + system) per record, in µs. */
  readonly cpuUsPerRecord: number;
}

/** The audit-like fields every record carries; `note` is the padding that sizes the line. */
function fields(note: string, i: number): Record<string, unknown> {
  return {
    user: 'u123',
    action: 'login',
    resource: '/accounts/42',
    outcome: 'success',
    ip: '10.1.2.3',
    requestId: 1_000_000 + (i % 1_000_000),
    note,
  };
}

/** Line length pino produces for a padding of `padLen` chars (written to memory, not a file). */
function measureLine(padLen: number): number {
  let line = '';
  const logger = pino({}, { write: (s: string) => void (line = s) });
  logger.info(fields('x'.repeat(padLen), 0), 'user login');
  return Buffer.byteLength(line);
}

/** Padding length that makes a line exactly `lineBytes` long (0 if the fixed part is already longer). */
export function paddingFor(lineBytes: number): number {
  const base = measureLine(0);
  return Math.max(0, lineBytes - base);
}

export async function measurePinoRecordsPerSecond(o: PinoBaselineOptions): Promise<PinoBaselineResult> {
  const note = 'x'.repeat(paddingFor(o.lineBytes));
  const lineBytes = measureLine(note.length);
  const file = path.join(o.dir, `pino-baseline-${process.pid}.log`);
  const dest = pino.destination({ dest: file, sync: true });
  const logger = pino({}, dest);
  try {
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let i = 0; i < o.records; i++) {
      logger.info(fields(note, i), 'user login');
    }
    dest.flushSync();
    const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const fileBytes = fs.statSync(file).size;
    return {
      recordsPerSecond: (o.records * 1000) / elapsedMs,
      records: o.records,
      elapsedMs,
      lineBytes,
      fileBytes,
      cpuUsPerRecord: (cpu.user + cpu.system) / o.records,
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
