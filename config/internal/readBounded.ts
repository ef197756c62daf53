/**
 * Reading a configuration file or a `${file:...}` reference without trusting its size: at most
 * `bytesMax` + 1 bytes are read, so `/dev/zero`, a growing log or a huge file gets a clear error instead
 * of the process reading it whole first (it grew to 24 GB on `--config /dev/zero`). `regularOnly` refuses
 * anything but a regular file (opened non-blocking, so a FIFO no one writes to cannot block the open);
 * a `--config` source may be a pipe (`/dev/stdin`), a reference may not.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 64 * 1024;

export class FileTooLargeError extends Error {
  readonly code = 'EFBIG';
  constructor(bytesMax: number) {
    super(`larger than ${bytesMax} bytes`);
  }
}

export function readTextBounded(path: string, bytesMax: number, regularOnly: boolean): string {
  // Opened non-blocking and checked on the open descriptor: a FIFO put at the path after a check by name
  // would block the open for ever (O_NONBLOCK changes nothing for a regular file).
  const fd = openSync(path, regularOnly ? constants.O_RDONLY | constants.O_NONBLOCK : 'r');
  try {
    if (regularOnly && !fstatSync(fd).isFile()) {
      throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    }
    // One read buffer, reused; only the bytes read are kept (a pipe's short reads would otherwise keep a
    // whole chunk each: 64 KiB of memory per byte written one at a time).
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (n === 0) break;
      total += n;
      if (total > bytesMax) throw new FileTooLargeError(bytesMax);
      parts.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(parts, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
