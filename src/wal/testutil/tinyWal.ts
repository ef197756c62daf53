import type { SimDisk } from '../fs/SimDisk.ts';
import { Wal } from '../Wal.ts';

/**
 * WAL options and records for SimDisk tests that count frames: 4 KiB segments hold 17 frames of `pad`'s
 * 200-byte payloads (228-byte frames after a 96-byte header).
 */
export const TINY_WAL = {
  dir: '/w',
  segmentBytesMax: 4096,
  payloadBytesMax: 256,
  queueBytesMax: 1 << 20,
  preallocate: 'inline' as const,
  failureBackoffMs: 0,
};

/** A 200-byte payload reading `<tag>-<i>` then dots. */
export const pad = (tag: string, i: number): Buffer => Buffer.from(`${tag}-${i}`.padEnd(200, '.'));

/** The `<tag>-<i>` of a `pad` payload. */
export const text = (b: Uint8Array): string => Buffer.from(b).toString().replace(/\.+$/, '');

/**
 * A power loss on `disk` (unsynced writes lost), then the WAL reopened with `TINY_WAL`: what its recovery
 * reported damaged and every record it reads (as `text`); the reopened WAL is closed.
 */
export async function afterPowerLoss(
  disk: SimDisk,
): Promise<{ corruptions: Wal['recovery']['corruptions']; records: string[] }> {
  const again = Wal.open({ ...TINY_WAL, fs: disk.crash({ mode: 'lose' }) });
  try {
    return {
      corruptions: again.recovery.corruptions,
      records: [...again.read()].map((r) => text(r.payload)),
    };
  } finally {
    await again.close();
  }
}
