/**
 * A `LeafHashSource` over a WAL directory, for one chain (stream): one
 * streaming pass reads the records in WAL order, recomputes each record's
 * IntegrityHash from its content (never trusting `audit.integrity.hash`),
 * and keeps leaf hash i = SHA-256(0x00 || IntegrityHash of record i + 1) in
 * a `LeafHashArray`, plus the stream's checkpoints by tree size.
 *
 * Memory: 32 bytes per record of the stream (10 M records: 320 MiB) plus a
 * few dozen bytes per checkpoint; one record is decoded at a time. Fine up
 * to tens of millions of records; `stopAfter` ends the pass at the
 * checkpoint a proof needs, so records after it are not even read.
 *
 * The leaves follow the chain numbers: a record whose `audit.sequence.number`
 * is not the next one (a deletion, insertion or reorder; a frame lost to bit
 * rot) ends the leaves there and is reported in `damage`; `otel-audit
 * verify` names such damage in detail. A record whose content was changed
 * after it was chained is kept (its recomputed hash is the leaf) and noted
 * in `modified`: proofs against checkpoints after it then fail their root
 * check instead of vouching for changed content.
 *
 * The WAL is opened with `verify: 'tail'` (src/wal/readOnly.ts): a sealed
 * segment whose frames do not match its footer (a footer that lies about its
 * last number or count, CRC and all) is read on frame by frame and named in
 * `footerMismatch`, so a footer cannot hide a leaf.
 *
 * Hostile input: each record is decoded within `recordElementsMax` protobuf
 * elements and only if its payload is no larger than the WAL writer ever
 * stores (verify/decodeStoredRecord.ts), so a frame built to exhaust memory
 * cannot. Such a record is skipped like an undecodable one and named in
 * `undecoded`: if it was one of the stream's records, the chain numbers after
 * it show a gap (`damage`, which names it) or the leaves end before the
 * checkpoint a proof needs (the proof fails, naming it); if the numbers run
 * on, it was not a leaf of the trees proven, and the proofs stay sound (every
 * root is checked against the signed one). `readRecord` and `readWalRecord`
 * throw `RecordBudgetError` (DECODE_LIMIT) naming the seq: a proof over a
 * record that cannot be hashed cannot be made.
 */
import { OtelAuditError } from '../../errors.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import type { FileSystem } from '../../wal/fs/FileSystem.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import type { ReadDamage, WalReader, WalRecord } from '../../wal/WalReader.ts';
import { recordHash } from '../canonical/projection.ts';
import { decodeSignedCheckpoint, type SignedCheckpoint } from '../chain/checkpoint.ts';
import { attr } from '../chain/recoverChain.ts';
import { hashLeaf } from '../merkle/hash.ts';
import type { LeafHashSource } from '../merkle/LeafHashSource.ts';
import { ATTR_INTEGRITY_HASH, ATTR_SEQUENCE_NUMBER, ATTR_SEQUENCE_STREAM_ID } from '../names.ts';
import {
  checkRecordElementsMax,
  decodeStoredRecord,
  RECORD_ELEMENTS_MAX_DEFAULT,
  RecordBudgetError,
  StoredPayloadTooLargeError,
} from '../verify/decodeStoredRecord.ts';
import { LeafHashArray } from './LeafHashArray.ts';

/** A checkpoint of the stream found in the WAL. */
export interface CheckpointRef {
  /** WAL sequence number of the checkpoint frame. */
  readonly seq: number;
  readonly treeSize: number;
  /** `none` for an unsigned checkpoint. */
  readonly algorithm: string;
  readonly keyId: string;
}

export interface WalLeafHashSourceOptions {
  readonly dir: string;
  readonly fs?: FileSystem;
  /** The stream to read; default that of the first chained record (with several streams: INVALID_ARGUMENT). */
  readonly streamId?: string;
  /** Ends the pass after the first checkpoint of the stream for which this returns true. */
  readonly stopAfter?: (checkpoint: CheckpointRef) => boolean;
  /** Leaf indexes whose WAL sequence numbers to remember (`seqOf`). */
  readonly locate?: readonly number[];
  /** Called every 100,000 frames read. */
  readonly onProgress?: (frames: number) => void;
  /**
   * Protobuf elements one record may decode into (`--record-elements-max`); default
   * `RECORD_ELEMENTS_MAX_DEFAULT`, verify's. A record beyond it is skipped and named in `undecoded`.
   */
  readonly recordElementsMax?: number;
}

/** The stored checkpoint: the JSON object exactly as the WAL frame holds it, and decoded. */
export interface StoredCheckpoint {
  readonly stored: Record<string, unknown>;
  readonly signed: SignedCheckpoint;
}

const OTHER_STREAMS_MAX = 8;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export class WalLeafHashSource implements LeafHashSource {
  readonly streamId: string;
  /** The stream's checkpoints in WAL order (tree sizes ascending in an intact log). */
  readonly checkpoints: readonly CheckpointRef[];
  /** Why the leaves end before the end of the WAL, if they do. */
  readonly damage: string | undefined;
  /** The first record whose content no longer matches its `audit.integrity.hash`, if any. */
  readonly modified: string | undefined;
  /**
   * The first record frame of the pass not decoded because it is beyond `recordElementsMax` or larger
   * than any payload the WAL writer stores: its WAL seq and why.
   */
  readonly undecoded: string | undefined;
  /**
   * Frames of the pass the reader could not read (damaged, or claiming more bytes than any WAL writer
   * writes): how many, and where the first is and why.
   */
  readonly unreadable: string | undefined;
  /**
   * The first sealed segment of the pass whose frames do not match its footer (a footer that lies about
   * its last number or count, a frame out of sequence): where and what. Its frames were read on frame
   * by frame (the WAL is opened with `verify: 'tail'`, src/wal/readOnly.ts), so no leaf is missing for it.
   */
  readonly footerMismatch: string | undefined;
  /** Frames read in the pass. */
  readonly framesRead: number;
  readonly #leaves: LeafHashArray;
  readonly #located: ReadonlyMap<number, number>;
  readonly #reader: WalReader;
  readonly #recordElementsMax: number;

  private constructor(o: {
    streamId: string;
    checkpoints: CheckpointRef[];
    damage: string | undefined;
    modified: string | undefined;
    undecoded: string | undefined;
    unreadable: string | undefined;
    footerMismatch: string | undefined;
    recordElementsMax: number;
    framesRead: number;
    leaves: LeafHashArray;
    located: Map<number, number>;
    reader: WalReader;
  }) {
    this.streamId = o.streamId;
    this.checkpoints = o.checkpoints;
    this.damage = o.damage;
    this.modified = o.modified;
    this.undecoded = o.undecoded;
    this.unreadable = o.unreadable;
    this.footerMismatch = o.footerMismatch;
    this.#recordElementsMax = o.recordElementsMax;
    this.framesRead = o.framesRead;
    this.#leaves = o.leaves;
    this.#located = o.located;
    this.#reader = o.reader;
  }

  /** Reads the WAL once (see the module comment). */
  static load(o: WalLeafHashSourceOptions): WalLeafHashSource {
    const elementsMax = checkRecordElementsMax(o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT);
    const { reader, report } = openWalReadOnly({ dir: o.dir, ...(o.fs ? { fs: o.fs } : {}) });
    // A footer found lying at open (its segment then walked and read frame by frame): named like one found reading.
    const badFooter = report.corruptions.find((c) => c.kind === 'bad-footer');
    const leaves = new LeafHashArray();
    const checkpoints: CheckpointRef[] = [];
    const located = new Map<number, number>();
    const locate = new Set(o.locate ?? []);
    const others = new Set<string>();
    let streamId = o.streamId;
    let damage: string | undefined;
    let modified: string | undefined;
    let undecoded: string | undefined;
    let badFrames = 0;
    let firstBad: ReadDamage | undefined;
    let mismatch: ReadDamage | undefined;
    let frames = 0;
    const onDamage = (d: ReadDamage): void => {
      if (d.sealedMismatch) {
        mismatch ??= d;
        return;
      }
      badFrames++;
      firstBad ??= d;
    };
    const unreadable = (): string | undefined =>
      firstBad &&
      `${badFrames} unreadable ${badFrames === 1 ? 'frame' : 'frames'}, the first in ${firstBad.segment} at offset ${firstBad.offset} (${firstBad.reason})`;
    for (const f of reader.records({ types: [FrameType.RECORD, FrameType.CHECKPOINT], onDamage })) {
      if (++frames % 100_000 === 0) o.onProgress?.(frames);
      if (f.type === FrameType.CHECKPOINT) {
        const ref = checkpointRef(f);
        if (ref === undefined || ref.streamId !== streamId) continue;
        checkpoints.push(ref.ref);
        if (o.stopAfter?.(ref.ref) === true) break;
        continue;
      }
      let record: AuditRecord;
      try {
        record = decodeStoredRecord(f, elementsMax);
      } catch (err) {
        if (undecoded === undefined && isBeyondLimits(err)) undecoded = err.message;
        continue; // whose record it was is unknown; a gap in the chain numbers shows whether it was ours
      }
      const id = attr(record, ATTR_SEQUENCE_STREAM_ID);
      if (typeof id !== 'string') continue;
      streamId ??= id;
      if (id !== streamId) {
        if (others.size < OTHER_STREAMS_MAX) others.add(id);
        continue;
      }
      const number = attr(record, ATTR_SEQUENCE_NUMBER);
      if (number !== BigInt(leaves.size + 1)) {
        const lost =
          (firstBad === undefined ? '' : ` (${unreadable()} before it)`) +
          (undecoded === undefined ? '' : ` (${undecoded})`);
        damage = `record at seq ${f.seq} has chain number ${String(number)} where ${leaves.size + 1} belongs${lost}`;
        break;
      }
      const h = recordHash(record);
      if (modified === undefined && attr(record, ATTR_INTEGRITY_HASH) !== hex(h)) {
        modified = `record ${leaves.size + 1} (seq ${f.seq}) no longer matches its audit.integrity.hash`;
      }
      if (locate.has(leaves.size)) located.set(leaves.size, f.seq);
      leaves.push(hashLeaf(h));
    }
    if (streamId === undefined) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `${o.dir} holds no chained records (written without audit_chain?)`,
      );
    }
    if (leaves.size === 0 && o.streamId !== undefined) {
      const seen = others.size === 0 ? '' : ` (streams found: ${[...others].join(', ')})`;
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `${o.dir} holds no records of stream ${o.streamId}${seen}`,
      );
    }
    if (o.streamId === undefined && others.size > 0) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `${o.dir} holds several streams (${[streamId, ...others].join(', ')}): name one`,
      );
    }
    return new WalLeafHashSource({
      streamId,
      checkpoints,
      damage,
      modified,
      undecoded,
      unreadable: unreadable(),
      footerMismatch:
        mismatch !== undefined
          ? `${mismatch.segment} at offset ${mismatch.offset}: ${mismatch.reason}`
          : badFooter &&
            `${badFooter.segment} at offset ${badFooter.offsetFrom ?? '?'}: bad footer (${badFooter.detail ?? '?'})`,
      recordElementsMax: elementsMax,
      framesRead: frames,
      leaves,
      located,
      reader,
    });
  }

  /** Frames of the pass skipped, not decoded or not read (`undecoded`, `unreadable`), if any. */
  get skipped(): string | undefined {
    const both = [this.undecoded, this.unreadable].filter((s) => s !== undefined);
    return both.length === 0 ? undefined : both.join('; ');
  }

  /** Leaves read (records 1..size of the stream). */
  get size(): number {
    return this.#leaves.size;
  }

  get(index: number): Uint8Array {
    return this.#leaves.get(index);
  }

  /** Bytes held for leaf hashes. */
  get bytesAllocated(): number {
    return this.#leaves.bytesAllocated;
  }

  /** The WAL sequence number of leaf `index`, if it was asked for with `locate`. */
  seqOf(index: number): number | undefined {
    return this.#located.get(index);
  }

  /** The record stored at `seq` (a record frame), decoded. */
  readRecord(seq: number): AuditRecord {
    const frame = this.#frameAt(seq);
    if (frame.type !== FrameType.RECORD) {
      throw new OtelAuditError('INVALID_ARGUMENT', `seq ${seq} is not a record (frame type ${frame.type})`);
    }
    return decodeStoredRecord(frame, this.#recordElementsMax);
  }

  /** The checkpoint `ref` points to, as stored and decoded. */
  readCheckpoint(ref: CheckpointRef): StoredCheckpoint {
    const frame = this.#frameAt(ref.seq);
    const text = frame.payload.toString('utf8');
    return {
      stored: JSON.parse(text) as Record<string, unknown>,
      signed: decodeSignedCheckpoint(frame.payload),
    };
  }

  #frameAt(seq: number): WalRecord {
    // Only the first is named: a damaged WAL can report many regions on the way, none of them kept.
    let damage: ReadDamage | undefined;
    const onDamage = (d: ReadDamage): void => void (damage ??= d);
    for (const f of this.#reader.records({ fromSeq: seq, toSeq: seq, onDamage })) if (f.seq === seq) return f;
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `the WAL has no readable frame with seq ${seq}${damageMet(damage)}`,
    );
  }
}

/**
 * The record stored at `seq` of the WAL in `dir` (to find its stream and chain number before a pass),
 * decoded within `recordElementsMax` protobuf elements (else `RecordBudgetError`).
 */
export function readWalRecord(
  dir: string,
  seq: number,
  fs?: FileSystem,
  recordElementsMax: number = RECORD_ELEMENTS_MAX_DEFAULT,
): AuditRecord {
  const elementsMax = checkRecordElementsMax(recordElementsMax);
  const { reader } = openWalReadOnly({ dir, ...(fs ? { fs } : {}) });
  // Damage on the way to the record does not make an intact record unreadable (the pass reports it).
  let damage: ReadDamage | undefined;
  const onDamage = (d: ReadDamage): void => void (damage ??= d);
  for (const f of reader.records({ fromSeq: seq, toSeq: seq, onDamage })) {
    if (f.seq !== seq) continue;
    if (f.type !== FrameType.RECORD)
      throw new OtelAuditError('INVALID_ARGUMENT', `seq ${seq} is not a record (frame type ${f.type})`);
    return decodeStoredRecord(f, elementsMax);
  }
  throw new OtelAuditError(
    'INVALID_ARGUMENT',
    `the WAL in ${dir} has no record with seq ${seq}${damageMet(damage)}`,
  );
}

/** The first damage met looking for a frame, for the error saying it was not found. */
function damageMet(d: ReadDamage | undefined): string {
  return d === undefined ? '' : ` (damage met: ${d.segment} at offset ${d.offset}, ${d.reason})`;
}

/** A record not decoded because of the read-side limits (not because it is malformed). */
function isBeyondLimits(err: unknown): err is Error {
  return err instanceof RecordBudgetError || err instanceof StoredPayloadTooLargeError;
}

function checkpointRef(f: WalRecord): { streamId: string; ref: CheckpointRef } | undefined {
  let cp: SignedCheckpoint;
  try {
    cp = decodeSignedCheckpoint(f.payload);
  } catch {
    return undefined; // unreadable, or over CHECKPOINT_PAYLOAD_BYTES_MAX (not parsed): never used for a proof
  }
  return {
    streamId: cp.checkpoint.streamId,
    ref: { seq: f.seq, treeSize: cp.checkpoint.treeSize, algorithm: cp.algorithm, keyId: cp.keyId },
  };
}
