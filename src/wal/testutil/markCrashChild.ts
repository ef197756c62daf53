/**
 * Child process of `highWaterMark.crash.test.ts` (periodic mark): opens the WAL in `--dir` with
 * `--interval-ms` as `highWaterMarkIntervalMs` and large segments (no rollover: only the periodic write
 * advances the mark), and appends from 4 concurrent loops until killed. After each acknowledgement it
 * writes `A <seq>` to stdout with `fs.writeSync` (the line is in the pipe before the next await, so a
 * SIGKILL loses no reported ack; the parent counts only whole lines).
 *
 *   node src/wal/testutil/markCrashChild.ts --dir D --interval-ms N
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Wal } from '../Wal.ts';
import { payloadFor } from './frames.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, 'interval-ms': { type: 'string', default: '20' } },
});
if (values.dir === undefined) {
  process.stderr.write('usage: markCrashChild.ts --dir D --interval-ms N\n');
  process.exit(2);
}

function emit(line: string): void {
  const buf = Buffer.from(`${line}\n`, 'latin1');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

const wal = Wal.open({
  dir: values.dir,
  segmentBytesMax: 64 * 1024 * 1024,
  payloadBytesMax: 1024,
  highWaterMarkIntervalMs: Number(values['interval-ms']),
  onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
});
let n = 0;
async function loop(): Promise<void> {
  for (;;) {
    const seq = await wal.append(payloadFor('k', ++n));
    emit(`A ${seq}`);
  }
}
await Promise.all([loop(), loop(), loop(), loop()]);
