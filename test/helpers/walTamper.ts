/**
 * Test helper: tampering with a WAL directory the way an attacker with write
 * access to the files would, so that the WAL's own checks (frame CRCs,
 * footers, trailers) still pass and only the integrity layer can notice.
 *
 * - `readFrames` / `writeFrames`: take a WAL apart into its frame sequence
 *   (records and checkpoints, with their types and times) and write an
 *   edited sequence as a brand-new WAL through `Wal` itself, so segments,
 *   footers and CRCs are all valid. Sequence numbers start again at 1: an
 *   attacker renumbers too, or the WAL layer would report a gap.
 * - `resealFrame`: edits one frame's payload in place (same length) and
 *   recomputes its CRC with `buildFrame` + `sealFrame` (sealed segments stay
 *   sealed: footers do not cover payload bytes).
 * - `flipPayloadBit`: flips one bit in place WITHOUT fixing the CRC (bit rot).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildFrame, FRAME_HEADER_BYTES, SEGMENT_FILE_PATTERN, sealFrame } from '../../src/wal/format.ts';
import { openWalReadOnly } from '../../src/wal/readOnly.ts';
import { frameLocations } from '../../src/wal/testutil/frames.ts';
import { Wal } from '../../src/wal/Wal.ts';

export interface Frame {
  readonly type: number;
  readonly timeUnixNano: bigint;
  readonly payload: Uint8Array;
}

/** Every frame of a WAL (footers aside), in WAL order. Throws on any damage. */
export function readFrames(dir: string): Frame[] {
  const ro = openWalReadOnly({ dir, verify: 'full' });
  if (ro.report.corruptions.length > 0) throw new Error(`${dir} is damaged already`);
  const onDamage = (): never => {
    throw new Error(`${dir} is damaged already`);
  };
  return [...ro.reader.records({ onDamage })].map((f) => ({
    type: f.type,
    timeUnixNano: f.timeUnixNano,
    payload: Uint8Array.from(f.payload),
  }));
}

/** Writes `frames` as a new WAL in `dir` (sequence numbers 1..n, in order), closed and sealed by the WAL. */
export async function writeFrames(
  dir: string,
  frames: readonly Frame[],
  options: { readonly segmentBytesMax?: number } = {},
): Promise<void> {
  const wal = Wal.open({
    dir,
    syncPolicy: 'none',
    preallocate: 'off',
    ...(options.segmentBytesMax === undefined
      ? {}
      : { segmentBytesMax: options.segmentBytesMax, payloadBytesMax: options.segmentBytesMax / 4 }),
  });
  try {
    // One batch per run of frames of the same type (a batch has one type).
    for (let i = 0; i < frames.length;) {
      const type = frames[i]?.type;
      let j = i;
      while (j < frames.length && frames[j]?.type === type) j++;
      const run = frames.slice(i, j);
      await wal.appendBatch(
        run.map((f) => f.payload),
        { type, timesUnixNano: run.map((f) => f.timeUnixNano) },
      );
      i = j;
    }
  } finally {
    await wal.close();
  }
}

interface Located {
  readonly file: string;
  readonly bytes: Buffer;
  readonly offset: number;
  readonly frameBytes: number;
}

function locate(dir: string, seq: number): Located {
  const segments = readdirSync(dir)
    .filter((n) => SEGMENT_FILE_PATTERN.test(n))
    .sort();
  for (const name of segments) {
    const file = path.join(dir, name);
    const bytes = readFileSync(file);
    const loc = frameLocations(bytes).find((l) => l.seq === seq);
    if (loc) return { file, bytes, offset: loc.offset, frameBytes: loc.frameBytes };
  }
  throw new Error(`no frame with seq ${seq} in ${dir}`);
}

/** The payload of the frame with WAL sequence number `seq`, as stored. */
export function framePayload(dir: string, seq: number): Buffer {
  const l = locate(dir, seq);
  return Buffer.from(l.bytes.subarray(l.offset + FRAME_HEADER_BYTES, l.offset + l.frameBytes - 4));
}

/** Replaces frame `seq`'s payload in place with `edit(payload)` (same length) and a valid CRC. */
export function resealFrame(dir: string, seq: number, edit: (payload: Buffer) => Uint8Array): void {
  const l = locate(dir, seq);
  const old = l.bytes.subarray(l.offset, l.offset + l.frameBytes);
  const payload = edit(Buffer.from(old.subarray(FRAME_HEADER_BYTES, old.length - 4)));
  const frame = buildFrame(old[4] ?? 0, old.readBigInt64LE(16), payload);
  if (frame.length !== old.length) throw new Error('resealFrame: the edited payload must keep its length');
  sealFrame(frame, seq, old[5] ?? 0);
  frame.copy(l.bytes, l.offset);
  writeFileSync(l.file, l.bytes);
}

/** Flips bit `bit` of payload byte `index` of frame `seq`, leaving its CRC as it was. */
export function flipPayloadBit(dir: string, seq: number, index: number, bit = 0): void {
  const l = locate(dir, seq);
  const at = l.offset + FRAME_HEADER_BYTES + index;
  if (at >= l.offset + l.frameBytes - 4) throw new Error('flipPayloadBit: index beyond the payload');
  l.bytes[at] = (l.bytes[at] ?? 0) ^ (1 << bit);
  writeFileSync(l.file, l.bytes);
}
