/**
 * A FileSystem that passes everything to another one and records the
 * buffers reads go into: tests check with it what a reader allocates for a
 * frame (the largest buffer read into) and whether a payload it returns is a
 * buffer it read into (not a copy).
 */
import type { FileSystem } from '../fs/FileSystem.ts';
import { wrapHandles } from './wrapFs.ts';

export interface CountingFileSystem extends FileSystem {
  /** Every distinct ArrayBuffer a read went into since the last `reset`. */
  readonly readInto: Set<ArrayBufferLike>;
  /** Bytes read since the last `reset`. */
  bytesRead(): number;
  /** The byteLength of the largest ArrayBuffer a read went into since the last `reset`. */
  largestReadBufferBytes(): number;
  reset(): void;
}

export function countingFileSystem(inner: FileSystem): CountingFileSystem {
  const readInto = new Set<ArrayBufferLike>();
  let bytes = 0;
  let largest = 0;
  const fs = wrapHandles(inner, (h) => ({
    ...h,
    read: (buffer, offset, length, position) => {
      readInto.add(buffer.buffer);
      largest = Math.max(largest, buffer.buffer.byteLength);
      const n = h.read(buffer, offset, length, position);
      bytes += n;
      return n;
    },
  }));
  return {
    ...fs,
    readInto,
    bytesRead: () => bytes,
    largestReadBufferBytes: () => largest,
    reset: () => {
      readInto.clear();
      bytes = 0;
      largest = 0;
    },
  };
}
