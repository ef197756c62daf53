/**
 * Test helper: a small WAL of sealed segments to damage (60 records of 300
 * bytes in 4 KiB segments, 12 records each, an index entry every 512 bytes;
 * record i at T0 + i seconds), fresh copies of it, and two kinds of damage
 * to a sealed segment's frames: bit rot in a payload, and a frame renumbered
 * with its CRC recomputed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FRAME_HEADER_BYTES, sealFrame } from '../format.ts';
import { Wal } from '../Wal.ts';
import { frameLocations, type FrameLocation } from './frames.ts';

export const SEALED_WAL_RECORDS = 60;
export const SEALED_WAL_PAYLOAD_BYTES = 300;
/** Record i's frame time: T0 + i seconds. */
export const SEALED_WAL_T0 = 1_795_687_200_000_000_000n;

/**
 * Writes the WAL to `dir` (record k, from 1, at `t0` + k seconds); returns its segment file names, oldest
 * first.
 */
export async function writeSealedWal(dir: string, t0: bigint = SEALED_WAL_T0): Promise<string[]> {
  let i = 0;
  const wal = Wal.open({
    dir,
    syncPolicy: 'none',
    preallocate: 'off',
    segmentBytesMax: 4096,
    payloadBytesMax: 1024,
    indexIntervalBytes: 512,
    clock: () => t0 + BigInt(i) * 1_000_000_000n,
  });
  for (i = 1; i <= SEALED_WAL_RECORDS; i++) await wal.append(Buffer.alloc(SEALED_WAL_PAYLOAD_BYTES, i));
  await wal.close();
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

/** A function that copies `original` to a new directory under `parent` each time it is called. */
export function walCopier(parent: string, original: string): () => string {
  let copies = 0;
  return () => {
    const dir = path.join(parent, `copy-${copies++}`);
    fs.cpSync(original, dir, { recursive: true });
    return dir;
  };
}

/** The WAL `writeSealedWal` wrote under a test's temporary directory, and fresh copies of it. */
export interface SealedWal {
  /** The original's directory (read it, never damage it). */
  readonly original: string;
  /** Its segment file names, oldest first. */
  readonly segments: readonly string[];
  /** A fresh copy of the original (a new directory each call), to damage. */
  readonly copy: () => string;
}

/** Writes the WAL to `<parent>/original` (call from a test's `beforeAll`). */
export async function sealedWal(parent: string): Promise<SealedWal> {
  const original = path.join(parent, 'original');
  const segments = await writeSealedWal(original);
  return { original, segments, copy: walCopier(parent, original) };
}

/** Flips a bit in the payload of the `index`-th frame of segment `file` (its CRC then fails). */
export function flipPayloadBit(file: string, index: number): FrameLocation {
  const b = fs.readFileSync(file);
  const frame = frameLocations(b)[index];
  if (frame === undefined) throw new Error(`${file} has no frame ${index}`);
  const at = frame.offset + FRAME_HEADER_BYTES + 5;
  b[at] = (b[at] ?? 0) ^ 0x10;
  fs.writeFileSync(file, b);
  return frame;
}

/** Renumbers the `index`-th frame of segment `file` to the number before its own, CRC recomputed. */
export function renumberToPrevious(file: string, index: number): FrameLocation {
  const b = fs.readFileSync(file);
  const frame = frameLocations(b)[index];
  if (frame === undefined) throw new Error(`${file} has no frame ${index}`);
  const bytes = b.subarray(frame.offset, frame.offset + frame.frameBytes);
  sealFrame(bytes, frame.seq - 1, bytes[5] ?? 0);
  fs.writeFileSync(file, b);
  return frame;
}
