/** Running `main()` in process with captured output, and building WAL directories for the CLI tests. */
import { Writable } from 'node:stream';
import { main } from '../cli.ts';
import type { CliIo } from '../CliIo.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { Wal } from '../../wal/Wal.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A writable that keeps everything written to it. */
export class CaptureStream extends Writable {
  readonly chunks: string[] = [];
  isTTY = false;

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }
}

export async function runCli(
  args: readonly string[],
  options: Partial<Pick<CliIo, 'env' | 'cwd' | 'stdout'>> = {},
): Promise<CliResult> {
  const stdout = new CaptureStream();
  const stderr = new CaptureStream();
  const code = await main(args, {
    stdout: options.stdout ?? stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Writes `records` to a new WAL in `dir` (frame time from `timeOf`) and closes it. */
export async function writeWal(
  dir: string,
  records: readonly AuditRecord[],
  options: {
    readonly timeOf?: (record: AuditRecord, index: number) => bigint;
    /** Small segments (with a matching `payloadBytesMax`) to spread records over several files. */
    readonly segmentBytesMax?: number;
    /** Records per `appendBatch` (default 1000). */
    readonly batchRecords?: number;
  } = {},
): Promise<void> {
  const wal = Wal.open({
    dir,
    syncPolicy: 'none',
    preallocate: 'off',
    ...(options.segmentBytesMax === undefined
      ? {}
      : { segmentBytesMax: options.segmentBytesMax, payloadBytesMax: options.segmentBytesMax / 4 }),
  });
  try {
    const timeOf = options.timeOf ?? ((record) => record.timeUnixNano);
    const batchRecords = options.batchRecords ?? 1000;
    for (let i = 0; i < records.length; i += batchRecords) {
      const batch = records.slice(i, i + batchRecords);
      await wal.appendBatch(batch.map(encodeRecord), {
        timesUnixNano: batch.map((record, j) => timeOf(record, i + j)),
      });
    }
  } finally {
    await wal.close();
  }
}
