/**
 * Reading one file of verify's `--published` directory in bounded memory. The
 * directory is replicated from elsewhere, so verify must survive whatever it
 * holds: a file larger than a checkpoint can be (`CHECKPOINT_PAYLOAD_BYTES_MAX`,
 * 1 MiB, the bound `decodeSignedCheckpoint` applies) is not read at all (its
 * size from `fstat`, and never more than the bound plus one byte read should it
 * grow meanwhile); a FIFO or device named `*.json` is not read either (it is
 * opened non-blocking, so a FIFO cannot hang verify); a directory or a file
 * that cannot be opened is a problem to report, not a crash.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { CHECKPOINT_PAYLOAD_BYTES_MAX } from '../../chain/checkpoint.ts';

export type PublishedFile =
  { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly problem: string };

/** The bytes of `file`, or why they were not read. */
export function readPublishedFile(
  file: string,
  bytesMax: number = CHECKPOINT_PAYLOAD_BYTES_MAX,
): PublishedFile {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return { ok: false, problem: `cannot be opened (${errorCode(err)})` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, problem: 'is not a regular file' };
    if (stat.size > bytesMax) return tooLarge(`is ${stat.size} bytes`, bytesMax);
    // Room for one byte more than fstat said tells a file that grew since; it is read on up to one
    // byte more than allowed, which tells one that grew past the bound.
    let buf = Buffer.allocUnsafe(stat.size + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > bytesMax) return tooLarge(`grew to more than ${bytesMax} bytes while read`, bytesMax);
        const larger = Buffer.allocUnsafe(bytesMax + 1);
        buf.copy(larger, 0, 0, n);
        buf = larger;
      }
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return { ok: true, bytes: buf.subarray(0, n) };
  } catch (err) {
    return { ok: false, problem: `cannot be read (${errorCode(err)})` };
  } finally {
    closeSync(fd);
  }
}

function tooLarge(what: string, bytesMax: number): PublishedFile {
  return { ok: false, problem: `${what}, more than a checkpoint can be (${bytesMax}): not read` };
}

function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : String(err);
}
