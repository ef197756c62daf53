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
