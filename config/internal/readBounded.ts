/**
 * Reading a configuration file or a `${file:...}` reference without trusting its size: at most
 * `bytesMax` + 1 bytes are read, so `/dev/zero`, a growing log or a huge file gets a clear error instead
 * of the process reading it whole first (it grew to 24 GB on `--config /dev/zero`). `regularOnly` refuses
 * anything but a regular file before opening it (a FIFO no one writes to would block the open for ever);
 * a `--config` source may be a pipe (`/dev/stdin`), a reference may not.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const CHUNK_BYTES = 64 * 1024;

export class FileTooLargeError extends Error {
  readonly code = 'EFBIG';
  constructor(bytesMax: number) {
    super(`larger than ${bytesMax} bytes`);
  }
}

export function readTextBounded(path: string, bytesMax: number, regularOnly: boolean): string {
  if (regularOnly && !statSync(path).isFile()) {
    throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
  }
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      total += n;
      if (total > bytesMax) throw new FileTooLargeError(bytesMax);
      chunks.push(n === CHUNK_BYTES ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
