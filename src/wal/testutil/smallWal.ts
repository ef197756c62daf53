/** WAL options for SimDisk tests that want rollovers after a few records (16 KiB segments, 1 KiB payloads). */
import type { WalOptions } from '../options.ts';

export const SMALL_WAL: Omit<WalOptions, 'dir' | 'fs'> = {
  segmentBytesMax: 16 * 1024,
  payloadBytesMax: 1024,
  preallocate: 'inline',
  indexIntervalBytes: 1024,
};
