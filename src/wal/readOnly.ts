/**
 * Reading a WAL directory without taking its lock or changing anything on
 * disk (CLI `replay`, `verify`, `prove`). A directory another process is
 * writing may show records that are written but not yet synced; such a
 * reader cannot know the writer's durable point.
 *
 * The WAL is untrusted input here: a frame's length is checked against
 * `WAL_FRAME_BYTES_MAX`, the largest frame a WAL writer writes, before
 * anything is read, so a frame claiming more (hostile, or a damaged length
 * field) is damage at its offset — `onDamage` with a `too-large` reason, or
 * `WalFrameTooLargeError` (WAL_CORRUPT) without one — never an allocation of
 * its claimed size.
 *
 * `verify` says how sealed segments are checked (unsealed ones are always
 * walked frame by frame at open):
 * - `tail` (default) trusts a sealed segment's structure at open through its
 *   footer and trailer, and the reader checks the segment against its footer
 *   as it reads it (WalReader.ts, `checkSealed`, `sealedMismatch: 'report'`):
 *   every frame's CRC is checked once, and a sealed segment that is not what
 *   its footer vouches for (damage, a footer that lies about its last number
 *   or count) is reported through `onDamage` and read on frame by frame like
 *   an unsealed one, so a lying footer cannot make a reader skip a record of
 *   the range it reads. Nor do its time bounds (or its index blocks') skip
 *   anything: a time-range read reads each sealed segment whole, which checks
 *   them. A footer whose index is not well formed (recover.ts, footerProblem.ts
 *   footerIndexProblem) is not trusted at open: the segment is walked.
 * - `full` walks every segment at open, checking every frame's CRC and
 *   classifying any damage, and the reader checks them again.
 * - `once` opens as `tail`, but a sealed segment that is not exactly what its
 *   footer vouches for throws `WalSealedMismatchError` while it is read
 *   (`sealedMismatch: 'throw'`) — open again with `full` to have recovery
 *   classify its damage. Reading a sealed segment whole that matches its
 *   footer, recovery's `full` walk of it would have found no damage and the
 *   same end, so a `once` open that reads every segment without that error
 *   has reported what a `full` open reports (`otel-audit verify`).
 */
import path from 'node:path';
import { WalBadOptionsError, WalCorruptError } from '../errors.ts';
import { nodeFileSystem } from './fs/NodeFileSystem.ts';
import type { FileSystem } from './fs/FileSystem.ts';
import { FRAME_OVERHEAD_BYTES } from './format.ts';
import { RECORD_PAYLOAD_BYTES_MAX, WAL_DEFAULTS } from './options.ts';
import { recoverWal, type RecoveryReport } from './recover.ts';
import type { SegmentInfo } from './SegmentInfo.ts';
import { WalReader, type ReadDamage, type WalReaderSource } from './WalReader.ts';

export { WalSealedMismatchError } from './WalReader.ts';

/**
 * The largest frame a WAL writer writes: a record of the largest `payloadBytesMax` it accepts
 * (`RECORD_PAYLOAD_BYTES_MAX`) with its header and CRC. Footers are far smaller (32 bytes per
 * `indexIntervalBytes` of segment: 2 MiB for a 4 GiB segment at the default 64 KiB). The options
 * refuse a segmentBytesMax / indexIntervalBytes that would give a larger footer (options.ts); a
 * segment an older writer sealed with one is read as unreadable bytes after its last record.
 */
export const WAL_FRAME_BYTES_MAX = RECORD_PAYLOAD_BYTES_MAX + FRAME_OVERHEAD_BYTES;

/** A frame whose length field claims more than `WAL_FRAME_BYTES_MAX`: damage, not read. */
export class WalFrameTooLargeError extends WalCorruptError {
  readonly segment: string;
  readonly offset: number;
  /** The length the frame claims. */
  readonly frameBytes: number;

  constructor(segment: string, offset: number, frameBytes: number) {
    super(`${segment}: bad frame at offset ${offset} (${tooLargeReason(frameBytes)})`);
    this.segment = segment;
    this.offset = offset;
    this.frameBytes = frameBytes;
  }
}

export interface ReadOnlyWal {
  readonly report: RecoveryReport;
  readonly reader: WalReader;
  /** The segments found, oldest first (what recovery made of each: sealed through its footer, or walked). */
  readonly segments: readonly SegmentInfo[];
  /**
   * The length claimed by the frame at `offset` of `segment` when it is more than
   * `WAL_FRAME_BYTES_MAX` (a damaged region recovery reported starts with one), else undefined.
   */
  frameTooLarge(segment: string, offset: number): number | undefined;
}

/** The values of `openWalReadOnly`'s `verify` (see the top of this file). */
export const READ_ONLY_VERIFY_MODES = ['tail', 'full', 'once'] as const;
export type ReadOnlyVerifyMode = (typeof READ_ONLY_VERIFY_MODES)[number];

/**
 * Opens the WAL in `dir` read-only. `verify` (default `tail`) must be one of `READ_ONLY_VERIFY_MODES`:
 * anything else (a typo from a caller, `null`) throws `WalBadOptionsError` (WAL_BAD_OPTIONS) before
 * anything is read, instead of quietly checking less.
 */
export function openWalReadOnly(o: {
  dir: string;
  fs?: FileSystem;
  verify?: ReadOnlyVerifyMode;
}): ReadOnlyWal {
  checkVerifyMode(o.verify);
  const fs = o.fs ?? nodeFileSystem;
  // Any frame the WAL writer can write, whatever limit it has now: a WAL written with a larger
  // payloadBytesMax stays readable; nothing larger is read.
  const frameBytesMax = WAL_FRAME_BYTES_MAX;
  const r = recoverWal({
    fs,
    dir: o.dir,
    mode: 'read-only',
    frameBytesMax,
    indexIntervalBytes: WAL_DEFAULTS.indexIntervalBytes,
    verify: o.verify === 'full' ? 'full' : 'tail',
  });
  const lastSeq = r.nextSeq - 1;
  const frameTooLarge = (segment: string, offset: number): number | undefined =>
    claimedFrameBytes(fs, path.join(o.dir, segment), offset);
  const reader = new ReadOnlyWalReader(
    {
      fs,
      segments: () => r.segments,
      durableSeq: () => lastSeq,
      frameBytesMax,
      waitForDurable: () => Promise.resolve(),
      isClosed: () => true,
      checkSealed: o.verify !== 'full',
      sealedMismatch: o.verify === 'once' ? 'throw' : 'report',
    },
    frameTooLarge,
  );
  return { report: r.report, reader, frameTooLarge, segments: r.segments };
}

function checkVerifyMode(verify: unknown): void {
  if (verify === undefined || (READ_ONLY_VERIFY_MODES as readonly unknown[]).includes(verify)) return;
  const given =
    typeof verify === 'string' ? JSON.stringify(verify) : `a ${verify === null ? 'null' : typeof verify}`;
  throw new WalBadOptionsError(
    `openWalReadOnly: verify must be one of ${READ_ONLY_VERIFY_MODES.join(', ')}, not ${given}`,
  );
}

function tooLargeReason(frameBytes: number): string {
  return `too-large: the frame claims ${frameBytes} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes`;
}

/** The frame length at `offset` of the file when it is over `WAL_FRAME_BYTES_MAX`. */
function claimedFrameBytes(fs: FileSystem, file: string, offset: number): number | undefined {
  const b = Buffer.alloc(4);
  let n: number;
  try {
    const h = fs.open(file, 'read');
    try {
      n = h.read(b, 0, 4, offset);
    } finally {
      h.close();
    }
  } catch {
    return undefined; // only an explanation of damage already found: the damage is reported anyway
  }
  const claimed = b.readUInt32LE(0);
  return n === 4 && claimed > WAL_FRAME_BYTES_MAX ? claimed : undefined;
}

/** A `WalReader` that names frames over `WAL_FRAME_BYTES_MAX` in the damage it reports. */
class ReadOnlyWalReader extends WalReader {
  readonly #frameTooLarge: (segment: string, offset: number) => number | undefined;

  constructor(src: WalReaderSource, frameTooLarge: (segment: string, offset: number) => number | undefined) {
    super(src);
    this.#frameTooLarge = frameTooLarge;
  }

  // Overrides the damage hook rather than `records`: a generator wrapped around `records` costs every
  // record another resumption (~0.06 CPU-µs per record of a verify read).
  protected override damaged(d: ReadDamage, onDamage: ((d: ReadDamage) => void) | undefined): void {
    // Only a frame refused for its length can be one claiming too much.
    const claimed = d.reason === 'length' ? this.#frameTooLarge(d.segment, d.offset) : undefined;
    if (claimed === undefined) super.damaged(d, onDamage);
    else if (onDamage === undefined) throw new WalFrameTooLargeError(d.segment, d.offset, claimed);
    else onDamage({ ...d, reason: tooLargeReason(claimed) });
  }
}
