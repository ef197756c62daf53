/**
 * The active segment: creation (preallocated, header synced, renamed into
 * place, directory synced), frame writes with the in-memory sparse index,
 * rollover (seal the full segment, open the next), and abandonment after a
 * failed write or sync.
 *
 * Preallocation: a segment is filled with zeros to `segmentBytesMax` before
 * it receives records, so a later fdatasync has no file-size metadata to
 * flush. `background` prepares the next segment off the main thread: its
 * zeros are written through the thread pool and fdatasynced there before
 * the file counts as ready (so neither the zero-fill nor the 64 MiB flush
 * stalls commits; measured in docs/benchmarks.md "bench:wal"); `inline`
 * fills and syncs at creation; `off` lets the file grow.
 *
 * `auto` (the default) preallocates only where it pays. A preallocated
 * segment saves each commit the file-size update a growing file's
 * fdatasync flushes (an ext4 journal commit, ~0.1–0.3 ms here), but
 * writing and syncing its zeros doubles the bytes that reach the disk. With
 * small commits the first wins; with large ones (a receiver's requests of
 * hundreds of records per commit) the second: measured on `bench:receiver`,
 * 4.9 → 3.4 server-CPU-µs per record and p99 86 → 22 ms without
 * preparation (docs/benchmarks.md). So `auto` fills the first segment it
 * opens (as `background` does; nothing is known of the load yet) and, once
 * the active segment is an eighth full, prepares the next one in the
 * background only if that segment's writes average less than
 * `AUTO_PREPARE_BYTES_PER_WRITE_MAX`. It never waits for a preparation
 * that is not ready: the next segment then grows, as with `off`.
 */
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { WalDiskFullError, WalFailedError, WalIoError, WalSyncFailedError } from '../errors.ts';
import { errnoCode, type FileHandle, type FileSystem } from './fs/FileSystem.ts';
import {
  encodeSegmentHeader,
  FRAME_FLAG_BATCH_START,
  SEGMENT_HEADER_BYTES,
  sealFrame,
  segmentFileName,
} from './format.ts';
import { sealSegmentFile } from './seal.ts';
import type { SegmentInfo } from './SegmentInfo.ts';

const ZERO_CHUNK = Buffer.alloc(1024 * 1024);
/**
 * Frames adjacent in memory are written without a copy when the runs average
 * at least this many bytes (one write call per run); else they are copied
 * into one buffer and written with one call, as small buffers from Node's
 * pool (`buildFrame`) mostly are not adjacent.
 */
const DIRECT_RUN_BYTES_MIN = 64 * 1024;

export type PreallocateMode = 'auto' | 'background' | 'inline' | 'off';

/**
 * `auto` prepares the next segment only while the active one's writes (one per commit) average less than
 * this. Break-even on this VM: a preparation costs ~3.8 ns of CPU per byte of zeros (measured with
 * `bench:receiver`, 4.9 vs 3.4 µs per 370-byte record) and saves ~0.2 ms per commit (a growing file's
 * journal commit, bench:wal `raw_fdatasync_growing_per_s` against the preallocated loop): ~53 KB per commit.
 */
export const AUTO_PREPARE_BYTES_PER_WRITE_MAX = 64 * 1024;
/** `auto` decides once the active segment holds this fraction of its size (1/8): enough writes to judge. */
const AUTO_DECIDE_AT_FRACTION_INVERSE = 8;

export interface SegmentWriterOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly segmentBytesMax: number;
  readonly indexIntervalBytes: number;
  readonly preallocate: PreallocateMode;
  readonly clock: () => bigint;
  readonly chainHead: () => Uint8Array;
  /** Told about a file whose sync failed while sealing (other syncs of it must not be trusted). */
  readonly onSyncFailed?: (file: FileHandle) => void;
}

/** Frames waiting to be written; seq, flags and CRC are set by `writeFrames`. */
export interface FrameBatch {
  readonly frames: readonly Buffer[];
  readonly times: readonly bigint[];
}

/** A background preparation: `ready` once its zeros and size are durable and no I/O of it is in flight. */
interface Prepared {
  readonly path: string;
  file: FileHandle | undefined;
  ready: boolean;
  cancelled: boolean;
  /** Its file was cut to nothing and unlinked when it was cancelled (it is only left to close). */
  released: boolean;
  /** Settles once the preparation no longer touches its file (ready, or cleaned up). */
  done: Promise<void>;
}

/**
 * The segment being written. `file` takes the writes and the group commit's
 * async syncs; `syncFile`, a second descriptor of the same file opened before
 * any record was written, takes every synchronous sync (strict appends,
 * sealing). Linux reports a write-back error once per open file description
 * (`errseq_t`, 4.13+): a synchronous sync through the descriptor whose async
 * sync is in flight could return success after that sync consumed the error
 * for pages it lost (fsyncgate); through its own descriptor it reports it.
 */
interface ActiveSegment {
  info: SegmentInfo;
  file: FileHandle;
  syncFile: FileHandle;
  pos: number;
  /** Writes of frames into it (one per commit, or a commit's part that reached it). */
  writes: number;
  /** `auto`: whether the preparation of the next segment has been decided (started or not). */
  prepareDecided: boolean;
}

/** One positional write of a commit: a copy of its frames, or a run of frames adjacent in memory. */
interface Chunk {
  readonly data: Uint8Array;
  readonly position: number;
}

/**
 * A group commit's write running on the thread pool (`writeFramesAsync`), until it settles. Its bytes
 * must not change meanwhile (they are the commit's sealed frames, or a copy of them).
 */
interface WriteInFlight {
  readonly segment: ActiveSegment;
  readonly chunks: readonly Chunk[];
  /** The segment's write position after it. */
  readonly end: number;
  /** A later synchronous write wrote these bytes again on the calling thread: they are in the file. */
  rewritten: boolean;
  /** Settles (never rejects) when the thread pool is done with it: `ok`, or `error`. */
  done: Promise<void>;
  ok: boolean;
  error: unknown;
}

export class SegmentWriter {
  private readonly o: SegmentWriterOptions;
  private active: ActiveSegment | undefined;
  private prepared: Prepared | undefined;
  /** Preparations not yet finished with their file (a cancelled one may still have I/O in flight). */
  private readonly preparing = new Set<Prepared>();
  private readonly retired: FileHandle[] = [];
  /** The group commit's write on the thread pool, if one is running (at most one). */
  private writing: WriteInFlight | undefined;
  private readonly abandonedFiles = new WeakSet<FileHandle>();
  private nextSegmentNumber: number;
  private sealed = 0;
  /** Segments this writer has opened: `auto` fills the first one inline, as nothing is known of the load. */
  private opened = 0;

  constructor(o: SegmentWriterOptions, nextSegmentNumber: number) {
    this.o = o;
    this.nextSegmentNumber = nextSegmentNumber;
  }

  get activeInfo(): SegmentInfo | undefined {
    return this.active?.info;
  }

  /** Segments this writer has sealed (rollovers, and the seal at close). */
  get sealedSegments(): number {
    return this.sealed;
  }

  /**
   * Writes the frames (numbered from `firstSeq`) with one write per segment
   * touched; seals and replaces the segment when full. Returns the handle
   * whose sync makes the last frames durable (earlier segments were synced
   * when sealed). `onSegment` is told about each new segment.
   */
  writeFrames(
    batch: FrameBatch,
    firstSeq: number,
    onSegment: (s: SegmentInfo) => void,
    continuesWrite = false,
  ): FileHandle {
    // `continuesWrite`: this write follows one whose sync has not returned yet (a strict append during a
    // group commit). Both are unsynced at once, so for recovery they are one write: no BATCH_START on the
    // first frame, or a power loss tearing both would look like corruption.
    let markStart = !continuesWrite;
    // Frames written now land after those of the write on the thread pool, which may not be in the file
    // yet: a sync of this write (or a seal) must not make a later frame durable after a hole.
    this.rewriteInFlight();
    let i = 0;
    let seq = firstSeq;
    const n = batch.frames.length;
    while (i < n) {
      if (!this.active) onSegment(this.open(seq));
      const a = this.active as ActiveSegment;
      let bytes = 0;
      let runs = 0;
      let runEnd = -1;
      let runBuffer: ArrayBufferLike | undefined;
      let j = i;
      while (j < n) {
        const f = batch.frames[j] as Buffer;
        const len = f.length;
        if (a.pos + bytes + len > this.o.segmentBytesMax && !(j === i && a.pos === SEGMENT_HEADER_BYTES))
          break;
        if (f.buffer !== runBuffer || f.byteOffset !== runEnd) runs++;
        runBuffer = f.buffer;
        runEnd = f.byteOffset + len;
        bytes += len;
        j++;
      }
      if (j === i) {
        this.seal();
        continue;
      }
      this.stamp(a, batch, i, j, seq, markStart);
      seq += j - i;
      const file = a.file;
      this.chunks(a, batch.frames, i, j, bytes, runs, (data, position) => file.write(data, position));
      markStart = true;
      a.pos += bytes;
      a.writes++;
      a.info.dataEnd = a.pos;
      a.info.lastSeq = seq - 1;
      if (this.o.preallocate === 'auto' && !a.prepareDecided) this.decidePreparation(a);
      i = j;
      if (i < n) this.seal();
    }
    return (this.active as { file: FileHandle }).file;
  }

  /**
   * The group commit's write on the thread pool: frames numbered from `firstSeq`, sealed and indexed now,
   * written by `writeAsync` (the calling thread does not pay the write system call: ~0.26 CPU-µs per
   * record of `bench:receiver`, a growing segment's block allocation). Only when all of them fit in the
   * active segment (no rollover, no segment creation), are at least the file system's `writeAsyncBytesMin`
   * and the file has `writeAsync`; otherwise
   * undefined, and the caller uses `writeFrames`. At most one runs at a time. Until it settles:
   * - a synchronous `writeFrames` (a strict append) or `seal` first writes its bytes again on the calling
   *   thread, at the same offsets (identical bytes: a positional write is idempotent), so the sync that
   *   follows covers a prefix without a hole (`rewriteInFlight`);
   * - its file stays open (retired files are closed by `closeRetired`, which the WAL calls only when no
   *   I/O of the group commit is in flight);
   * - the segment's `dataEnd` stays where the written bytes end, so readers do not scan bytes not there yet.
   * `written` settles (it never rejects) when the thread pool is done; the caller then calls `endWrite`,
   * which gives the write's error (ENOSPC, EIO, a short write), if any: the caller fails the commit as if
   * `writeFrames` had thrown it.
   */
  writeFramesAsync(
    batch: FrameBatch,
    firstSeq: number,
    continuesWrite = false,
  ): { readonly file: FileHandle; readonly written: Promise<void> } | undefined {
    const a = this.active;
    if (a === undefined || this.writing !== undefined || a.file.writeAsync === undefined) return undefined;
    const frames = batch.frames;
    const n = frames.length;
    let bytes = 0;
    let runs = 0;
    let runEnd = -1;
    let runBuffer: ArrayBufferLike | undefined;
    for (let k = 0; k < n; k++) {
      const f = frames[k] as Buffer;
      if (f.buffer !== runBuffer || f.byteOffset !== runEnd) runs++;
      runBuffer = f.buffer;
      runEnd = f.byteOffset + f.length;
      bytes += f.length;
    }
    if (n === 0 || a.pos + bytes > this.o.segmentBytesMax) return undefined;
    // A small write costs the calling thread less than the hand-off (NodeFileSystem: below ~128 KiB).
    if (bytes < (this.o.fs.writeAsyncBytesMin ?? 0)) return undefined;
    // `continuesWrite` as for `writeFrames`: a commit written while the previous one's sync is still running.
    this.stamp(a, batch, 0, n, firstSeq, !continuesWrite);
    const chunks: Chunk[] = [];
    this.chunks(a, frames, 0, n, bytes, runs, (data, position) => chunks.push({ data, position }));
    const w: WriteInFlight = {
      segment: a,
      chunks,
      end: a.pos + bytes,
      rewritten: false,
      done: Promise.resolve(),
      ok: false,
      error: undefined,
    };
    a.pos += bytes;
    a.writes++;
    a.info.lastSeq = firstSeq + n - 1;
    if (this.o.preallocate === 'auto' && !a.prepareDecided) this.decidePreparation(a);
    this.writing = w;
    const file = a.file;
    w.done = writeChunksAsync(file, chunks).then(
      () => {
        w.ok = true;
      },
      (err: unknown) => {
        w.error = err;
      },
    );
    return { file, written: w.done };
  }

  /**
   * Ends the write on the thread pool once `written` has settled (the caller does this next, before it
   * writes anything else): it is no longer in flight. Returns its error, or undefined when its bytes are
   * in the file: it succeeded, or it failed after a strict append had written the same bytes on the
   * calling thread (`rewriteInFlight`; a failed positional write of identical bytes takes nothing away
   * from them, and the commit's own sync reports any write-back error). Until this is called the write
   * counts as in flight, so a strict append meanwhile still writes its bytes first.
   */
  endWrite(): { error: unknown } | undefined {
    const w = this.writing;
    if (w === undefined) return undefined;
    this.writing = undefined;
    const inFile = w.ok || w.rewritten;
    if (inFile && w.segment.info.dataEnd < w.end) w.segment.info.dataEnd = w.end;
    return inFile ? undefined : { error: w.error };
  }

  /** Whether `file` was the write descriptor of a segment abandoned (after a failed write or sync). */
  wasAbandoned(file: FileHandle): boolean {
    return this.abandonedFiles.has(file);
  }

  /**
   * Writes the bytes of the write on the thread pool again, synchronously, if it goes to the active
   * segment and this was not done yet: after this, whatever the thread pool does, they are in the file
   * before anything written next, so the next sync covers them (see `writeFramesAsync`).
   */
  private rewriteInFlight(): void {
    const w = this.writing;
    if (w === undefined || w.rewritten || w.segment !== this.active) return;
    // On failure the caller abandons the segment, and with it the commit whose write this was.
    for (const c of w.chunks) w.segment.file.write(c.data, c.position);
    w.rewritten = true;
    if (w.segment.info.dataEnd < w.end) w.segment.info.dataEnd = w.end;
  }

  /** Seals frames [i, j) (numbered from `seq`, BATCH_START on the first if `markStart`) and indexes them. */
  private stamp(
    a: ActiveSegment,
    batch: FrameBatch,
    i: number,
    j: number,
    seq: number,
    markStart: boolean,
  ): void {
    for (let k = i, off = 0; k < j; k++, seq++) {
      const f = batch.frames[k] as Buffer;
      sealFrame(f, seq, k === i && markStart ? FRAME_FLAG_BATCH_START : 0);
      this.indexFrame(a.info, seq, a.pos + off, batch.times[k] ?? 0n);
      off += f.length;
    }
  }

  /**
   * Hands frames [i, j), to be placed at the segment's end, to `write` as positional chunks: straight
   * from memory, one chunk per run of frames adjacent in memory, when the runs average at least
   * DIRECT_RUN_BYTES_MIN; else one copy of them all.
   */
  private chunks(
    a: ActiveSegment,
    frames: readonly Buffer[],
    i: number,
    j: number,
    bytes: number,
    runs: number,
    write: (data: Uint8Array, position: number) => void,
  ): void {
    if (bytes >= runs * DIRECT_RUN_BYTES_MIN) this.writeRuns(a, frames, i, j, write);
    else this.writeCopy(a, frames, i, j, bytes, write);
  }

  /** Writes frames [i, j) at the segment's end as one copy of them. */
  private writeCopy(
    a: ActiveSegment,
    frames: readonly Buffer[],
    i: number,
    j: number,
    bytes: number,
    write: (data: Uint8Array, position: number) => void,
  ): void {
    const out = Buffer.allocUnsafe(bytes);
    let off = 0;
    for (let k = i; k < j; k++) {
      const f = frames[k] as Buffer;
      f.copy(out, off);
      off += f.length;
    }
    write(out, a.pos);
  }

  /**
   * Writes frames [i, j) at the segment's end straight from memory, one
   * write per run of frames adjacent in memory (`encodeRecordWithRoom`
   * writes them so). Several writes before the commit's one sync are, for
   * durability, the same as one: neither is atomic, recovery finds the
   * frames of an unsynced commit whole or torn either way (wal-format.md §5).
   */
  private writeRuns(
    a: ActiveSegment,
    frames: readonly Buffer[],
    i: number,
    j: number,
    write: (data: Uint8Array, position: number) => void,
  ): void {
    let at = a.pos;
    let k = i;
    while (k < j) {
      const first = frames[k] as Buffer;
      let end = first.byteOffset + first.length;
      let m = k + 1;
      while (m < j) {
        const f = frames[m] as Buffer;
        if (f.buffer !== first.buffer || f.byteOffset !== end) break;
        end += f.length;
        m++;
      }
      const run = new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
      write(run, at);
      at += run.length;
      k = m;
    }
  }

  /**
   * When writing `bytes` more would need a new segment while the background
   * preparation of the next one is still running: a promise that settles once
   * that preparation is done (ready, or given up). Undefined otherwise.
   */
  preparationToAwait(bytes: number): Promise<void> | undefined {
    // `auto` prepared the next segment because commits are small, so a rollover is not worth a stall.
    if (this.o.preallocate === 'auto') return undefined;
    const p = this.prepared;
    if (!p || p.ready || p.cancelled) return undefined;
    const a = this.active;
    if (a && a.pos + bytes <= this.o.segmentBytesMax) return undefined;
    return p.done;
  }

  /**
   * fdatasync of the active segment on the calling thread, through its own
   * descriptor (see `ActiveSegment`), so that it reports a write-back error
   * even when a group-commit sync in flight reports it too.
   */
  datasyncActiveSync(): void {
    (this.active as ActiveSegment).syncFile.datasyncSync();
  }

  /** Seals the active segment (footer, trailer, sync). */
  seal(): void {
    const a = this.active;
    if (!a) return;
    // The footer must follow every frame: those of a write still on the thread pool too.
    this.rewriteInFlight();
    this.active = undefined;
    try {
      sealSegmentFile(a.syncFile, a.info);
      this.sealed++;
    } catch (err) {
      a.info.state = 'unsealed';
      if (err instanceof WalSyncFailedError) this.o.onSyncFailed?.(a.file);
      throw err;
    } finally {
      this.retire(a.file);
      this.retire(a.syncFile);
    }
  }

  /** Drops the active segment without touching it again (after a failed write or sync). */
  abandon(): void {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    a.info.state = 'unsealed';
    this.abandonedFiles.add(a.file);
    this.retire(a.file);
    this.retire(a.syncFile);
  }

  /**
   * Files leave service here but are closed only by `closeRetired`, which the
   * WAL calls when no sync is in flight: closing a file whose fdatasync is
   * still running on the thread pool would fail that sync (EBADF) or, worse,
   * sync whatever file reused the descriptor.
   */
  private retire(file: FileHandle): void {
    this.retired.push(file);
  }

  closeRetired(): void {
    for (const f of this.retired.splice(0)) {
      try {
        f.close();
      } catch {
        // a suspect handle: nothing more goes through it
      }
    }
  }

  /**
   * Cancels background preparation and removes its file. A preparation with
   * I/O in flight cleans up when that I/O returns: await `stopped()`.
   */
  close(): void {
    this.closeRetired();
    const p = this.prepared;
    this.prepared = undefined;
    if (p) this.discardPrepared(p);
  }

  /** Resolves once no preparation touches the directory any more (after `close()`). */
  async stopped(): Promise<void> {
    await Promise.all([...this.preparing].map((p) => p.done));
  }

  private indexFrame(info: SegmentInfo, seq: number, offset: number, t: bigint): void {
    let block = info.index[info.index.length - 1];
    if (!block || offset - block.offset >= this.o.indexIntervalBytes) {
      block = { firstSeq: seq, offset, minTimeUnixNano: t, maxTimeUnixNano: t };
      info.index.push(block);
    }
    if (t < block.minTimeUnixNano) block.minTimeUnixNano = t;
    if (t > block.maxTimeUnixNano) block.maxTimeUnixNano = t;
    if (seq === info.firstSeq) {
      info.minTimeUnixNano = t;
      info.maxTimeUnixNano = t;
    } else {
      if (t < info.minTimeUnixNano) info.minTimeUnixNano = t;
      if (t > info.maxTimeUnixNano) info.maxTimeUnixNano = t;
    }
  }

  private open(firstSeq: number): SegmentInfo {
    const name = segmentFileName(firstSeq);
    const finalPath = path.join(this.o.dir, name);
    const segmentNumber = this.nextSegmentNumber;
    const header = encodeSegmentHeader({
      formatVersion: 1,
      segmentNumber,
      firstSeq,
      createdUnixNano: this.o.clock(),
      segmentBytesMax: this.o.segmentBytesMax,
      prevChainHash: this.o.chainHead(),
    });
    let file: FileHandle;
    try {
      file = this.takePrepared() ?? this.createFilled();
    } catch (err) {
      throw wrapIo(err, `cannot create segment ${name}`);
    }
    let syncFile: FileHandle | undefined;
    let renamed = false;
    try {
      file.write(header, 0);
      file.datasyncSync();
      // Opened after the last sync before records: every later write-back error is reported through it.
      syncFile = this.o.fs.open(file.path, 'readwrite');
      this.o.fs.rename(file.path, finalPath);
      renamed = true;
      this.o.fs.syncDir(this.o.dir);
    } catch (err) {
      // Each closed on its own: a failing close must not leave the other handle open (one descriptor
      // leaked per failed creation, retried every failureBackoffMs while the disk fails).
      for (const h of [syncFile, file]) {
        try {
          h?.close();
        } catch {
          // a suspect handle: nothing more goes through it
        }
      }
      if (renamed) {
        // The directory sync failed after the rename: the empty segment has its final name, and a later
        // directory sync would make it durable. The batch's numbers are given back and may go to a segment
        // of a lower first seq (a batch in flight failing too): at the next open this empty one would then
        // shadow the acknowledged records of that segment from its first seq on. It must go.
        try {
          this.o.fs.remove(finalPath);
        } catch (removeErr) {
          throw new WalFailedError(
            `cannot remove segment ${name} whose creation failed; reopen the WAL to recover`,
            removeErr,
          );
        }
      } else {
        try {
          this.o.fs.remove(file.path);
        } catch {
          // best effort: a leftover .prealloc file is removed at the next open
        }
      }
      throw wrapIo(err, `cannot create segment ${name}`);
    }
    this.nextSegmentNumber++;
    const info: SegmentInfo = {
      name,
      path: finalPath,
      firstSeq,
      segmentNumber,
      state: 'active',
      lastSeq: firstSeq - 1,
      dataEnd: SEGMENT_HEADER_BYTES,
      minTimeUnixNano: 0n,
      maxTimeUnixNano: 0n,
      index: [],
      damaged: false,
    };
    this.active = {
      info,
      file,
      syncFile,
      pos: SEGMENT_HEADER_BYTES,
      writes: 0,
      prepareDecided: false,
    };
    this.opened++;
    if (this.o.preallocate === 'background') this.startPreparation();
    return info;
  }

  /** `auto`: once `a` is an eighth full, prepares the next segment if its writes have been small. */
  private decidePreparation(a: ActiveSegment): void {
    const dataBytes = a.pos - SEGMENT_HEADER_BYTES;
    if (dataBytes * AUTO_DECIDE_AT_FRACTION_INVERSE < this.o.segmentBytesMax - SEGMENT_HEADER_BYTES) return;
    a.prepareDecided = true;
    if (!this.prepared && dataBytes / a.writes < AUTO_PREPARE_BYTES_PER_WRITE_MAX) this.startPreparation();
  }

  /** Whether a segment created inline is zero-filled first: `inline`, `background`, and `auto`'s first one. */
  private fillsInline(): boolean {
    const mode = this.o.preallocate;
    return mode === 'inline' || mode === 'background' || (mode === 'auto' && this.opened === 0);
  }

  /** Inline creation and background preparation use different names: a cancelled preparation may still be running. */
  private tempPath(kind: 'inline' | 'background' = 'inline'): string {
    const suffix = kind === 'inline' ? '' : '.background';
    return path.join(this.o.dir, `segment-${this.nextSegmentNumber}${suffix}.prealloc`);
  }

  private createFilled(): FileHandle {
    const p = this.tempPath();
    if (this.o.fs.exists(p)) this.o.fs.remove(p);
    const file = this.o.fs.open(p, 'create');
    try {
      // Synced with the header by `open`.
      if (this.fillsInline()) fillZeros(file, 0, this.o.segmentBytesMax);
    } catch (err) {
      file.close();
      this.o.fs.remove(p);
      throw err;
    }
    return file;
  }

  /**
   * The background-prepared file if it is ready. One that is not is left to
   * clean up after itself (its writes may still be in flight, so its file
   * cannot take records) and the segment is created inline.
   */
  private takePrepared(): FileHandle | undefined {
    const p = this.prepared;
    this.prepared = undefined;
    if (!p) return undefined;
    if (p.ready && p.file) {
      this.preparing.delete(p);
      return p.file;
    }
    // Cancelled even when it has not opened its file yet: left running, it would create and fill a file
    // that nothing ever uses or closes.
    this.discardPrepared(p);
    return undefined;
  }

  private startPreparation(): void {
    const p: Prepared = {
      path: this.tempPath('background'),
      file: undefined,
      ready: false,
      cancelled: false,
      released: false,
      done: Promise.resolve(),
    };
    this.prepared = p;
    this.preparing.add(p);
    p.done = this.prepare(p);
  }

  /**
   * Zero-fills `p`'s file to `segmentBytesMax` through the thread pool and
   * fdatasyncs it there, so the file's size and zeros are durable before it
   * is ready: the segment's later commits then flush only their own pages,
   * and `open` only syncs the header. Never throws: preparation is an
   * optimisation, and on failure (e.g. ENOSPC) the segment is created inline.
   */
  private async prepare(p: Prepared): Promise<void> {
    try {
      await yieldToLoop();
      if (p.cancelled) {
        // Cancelled before it opened anything: only forget it (it was kept once per rollover).
        this.preparing.delete(p);
        return;
      }
      if (this.o.fs.exists(p.path)) this.o.fs.remove(p.path);
      const file = this.o.fs.open(p.path, 'create');
      p.file = file;
      for (let pos = 0; pos < this.o.segmentBytesMax && !p.cancelled; pos += ZERO_CHUNK.length) {
        const chunk = ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, this.o.segmentBytesMax - pos));
        if (file.writeAsync) await file.writeAsync(chunk, pos);
        else {
          file.write(chunk, pos);
          await yieldToLoop();
        }
      }
      if (!p.cancelled) await file.datasync();
      if (!p.cancelled) {
        p.ready = true;
        return;
      }
    } catch {
      p.cancelled = true;
      if (this.prepared === p) this.prepared = undefined;
    }
    // Cancelled or failed, with nothing of it in flight: remove its file.
    this.cleanUp(p);
  }

  /**
   * Cancels a preparation. An idle one is removed now. One with I/O in flight cannot be closed yet (the
   * descriptor could be reused under that I/O) but gives its space back now, cut to nothing and
   * unlinked: the segment created inline in its place must not need room for two segments, which a
   * nearly full disk does not have. A write still in flight can extend the unlinked file again by one
   * chunk at most, freed when the preparation closes it.
   */
  private discardPrepared(p: Prepared): void {
    const idle = p.ready;
    p.cancelled = true;
    p.ready = false;
    if (idle) this.cleanUp(p);
    else if (p.file) this.release(p, p.file);
  }

  private release(p: Prepared, file: FileHandle): void {
    try {
      file.truncate(0);
      this.o.fs.remove(p.path);
      p.released = true;
    } catch {
      // cleanUp removes it when its I/O returns, or the next open does
    }
  }

  private cleanUp(p: Prepared): void {
    this.preparing.delete(p);
    try {
      p.file?.close();
    } catch {
      // a suspect handle: nothing more goes through it
    }
    try {
      if (p.file && !p.released && this.o.fs.exists(p.path)) this.o.fs.remove(p.path);
    } catch {
      // removed at the next open
    }
  }
}

/** Writes the chunks on the thread pool, all at once; settles when all have, with the first error if any. */
async function writeChunksAsync(file: FileHandle, chunks: readonly Chunk[]): Promise<void> {
  const write = file.writeAsync as (data: Uint8Array, position: number) => Promise<void>;
  if (chunks.length === 1) {
    const c = chunks[0] as Chunk;
    return write.call(file, c.data, c.position);
  }
  const results = await Promise.allSettled(chunks.map((c) => write.call(file, c.data, c.position)));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

function fillZeros(file: FileHandle, from: number, to: number): void {
  for (let pos = from; pos < to; pos += ZERO_CHUNK.length) {
    file.write(ZERO_CHUNK.subarray(0, Math.min(ZERO_CHUNK.length, to - pos)), pos);
  }
}

export function wrapIo(err: unknown, what: string): Error {
  if (
    err instanceof WalDiskFullError ||
    err instanceof WalIoError ||
    err instanceof WalSyncFailedError ||
    err instanceof WalFailedError
  )
    return err;
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new WalDiskFullError(`${what}: disk full (${code})`, err);
  return new WalIoError(`${what}: ${code ?? String(err)}`, err);
}
