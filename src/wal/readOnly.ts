/**
 * Reading a WAL directory without taking its lock or changing anything on
 * disk (CLI `replay`, `verify`). A directory another process is writing may
 * show records that are written but not yet synced; such a reader cannot
 * know the writer's durable point.
 */
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import type { FileSystem } from './fs/FileSystem.ts';
import { FRAME_BYTES_LIMIT } from './format.ts';
import { WAL_DEFAULTS } from './options.ts';
import { recoverWal, type RecoveryReport } from './recover.ts';
import { WalReader } from './WalReader.ts';

export interface ReadOnlyWal {
  readonly report: RecoveryReport;
  readonly reader: WalReader;
}

export function openWalReadOnly(o: { dir: string; fs?: FileSystem; verify?: 'tail' | 'full' }): ReadOnlyWal {
  const fs = o.fs ?? nodeFileSystem;
  // Reading accepts any frame the format allows (bounded by the file's size), whatever limit the writer
  // has now: a WAL written with a larger payloadBytesMax stays readable.
  const frameBytesMax = FRAME_BYTES_LIMIT;
  const r = recoverWal({
    fs,
    dir: o.dir,
    mode: 'read-only',
    frameBytesMax,
    indexIntervalBytes: WAL_DEFAULTS.indexIntervalBytes,
    verify: o.verify ?? 'tail',
  });
  const lastSeq = r.nextSeq - 1;
  const reader = new WalReader({
    fs,
    segments: () => r.segments,
    durableSeq: () => lastSeq,
    frameBytesMax,
    waitForDurable: () => Promise.resolve(),
    isClosed: () => true,
  });
  return { report: r.report, reader };
}
