import type { FileHandle } from '../fs/FileSystem.ts';

/**
 * A read-only in-memory file for FrameScanner tests; it counts the bytes read
 * and refuses to read more than `budgetBytes` in all (default: no limit).
 */
export function memoryFile(bytes: Buffer, budgetBytes = Infinity): FileHandle & { readBytes: () => number } {
  let total = 0;
  const readOnly = (): never => {
    throw new Error('read-only test file');
  };
  return {
    path: 'memory',
    write: readOnly,
    read: (buffer, offset, length, position) => {
      const n = Math.max(0, Math.min(length, bytes.length - position));
      total += n;
      if (total > budgetBytes) throw new Error(`read ${total} bytes, more than ${budgetBytes}`);
      buffer.set(bytes.subarray(position, position + n), offset);
      return n;
    },
    size: () => bytes.length,
    truncate: readOnly,
    datasync: readOnly,
    datasyncSync: readOnly,
    fsync: readOnly,
    close: () => undefined,
    readBytes: () => total,
  };
}
