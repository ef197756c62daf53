/** Test helper: the segment files of the WAL at `dir` that do not end with a trailer (not sealed). */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeTrailer, SEGMENT_FILE_PATTERN, TRAILER_BYTES } from '../format.ts';

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => SEGMENT_FILE_PATTERN.test(n));
}

export function unsealedSegments(dir: string): string[] {
  return segmentFiles(dir).filter((n) => {
    const file = path.join(dir, n);
    const fd = openSync(file, 'r');
    try {
      const b = Buffer.alloc(TRAILER_BYTES);
      readSync(fd, b, 0, TRAILER_BYTES, statSync(file).size - TRAILER_BYTES);
      return decodeTrailer(b) === undefined;
    } finally {
      closeSync(fd);
    }
  });
}
