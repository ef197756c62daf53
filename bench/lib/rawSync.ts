/**
 * The sync-rate limit of a disk: a plain loop of one small positional write
 * followed by one fdatasync, with nothing else going on. A durable WAL with
 * one outstanding append cannot beat this (it does the same write + sync per
 * record, plus its own bookkeeping).
 */
import fs from 'node:fs';
import path from 'node:path';
import { percentile } from './stats.ts';

export interface RawSyncOptions {
  /** Directory to create the scratch file in (removed afterwards). */
  readonly dir: string;
  /** Bytes per write (the WAL benchmark uses 256). */
  readonly writeBytes: number;
  /** How long to loop. */
  readonly durationMs: number;
  /**
   * `zeros`: the file is first filled with zeros (and synced) up to
   * `fileBytes`, like a WAL segment, so each sync flushes data only.
   * `grow`: the file starts empty and every write extends it, so each sync
   * must also persist the new file size (a journal commit on ext4/xfs).
   */
  readonly layout: 'zeros' | 'grow';
  /** Size of the preallocated file for `zeros` (writes wrap around at the end). Default 64 MiB. */
  readonly fileBytes?: number;
  /** `sync`: fs.fdatasyncSync on the main thread; `async`: fs.fdatasync through the libuv thread pool. */
  readonly mode?: 'sync' | 'async';
}

export interface RawSyncResult {
  readonly syncsPerSecond: number;
  readonly syncs: number;
  readonly elapsedMs: number;
  /** Mean time of one write+sync iteration. */
  readonly meanMs: number;
  /** Percentiles of one write+sync iteration. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const ZEROS = Buffer.alloc(1024 * 1024);

export async function measureRawFdatasync(o: RawSyncOptions): Promise<RawSyncResult> {
  const file = path.join(o.dir, `raw-fdatasync-${o.layout}-${o.mode ?? 'sync'}.dat`);
  const fileBytes = o.fileBytes ?? 64 * 1024 * 1024;
  const fd = fs.openSync(file, 'w+');
  try {
    if (o.layout === 'zeros') {
      for (let pos = 0; pos < fileBytes; pos += ZEROS.length) {
        fs.writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, fileBytes - pos), pos);
      }
      fs.fsyncSync(fd);
    }
    const data = Buffer.alloc(o.writeBytes, 0x61);
    const datasync = (): Promise<void> =>
      new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    let pos = 0;
    let syncs = 0;
    let lat = new Float64Array(16_384);
    const start = process.hrtime.bigint();
    const end = start + BigInt(Math.round(o.durationMs * 1e6));
    let now = start;
    while (now < end) {
      if (o.layout === 'zeros' && pos + o.writeBytes > fileBytes) pos = 0;
      fs.writeSync(fd, data, 0, data.length, pos);
      pos += data.length;
      if (o.mode === 'async') await datasync();
      else fs.fdatasyncSync(fd);
      const t = process.hrtime.bigint();
      if (syncs === lat.length) {
        const bigger = new Float64Array(lat.length * 2);
        bigger.set(lat);
        lat = bigger;
      }
      lat[syncs++] = Number(t - now) / 1e6;
      now = t;
    }
    const elapsedMs = Number(now - start) / 1e6;
    return {
      syncsPerSecond: (syncs * 1000) / elapsedMs,
      syncs,
      elapsedMs,
      meanMs: elapsedMs / syncs,
      p50Ms: percentile(lat, syncs, 50),
      p99Ms: percentile(lat, syncs, 99),
      maxMs: percentile(lat, syncs, 100),
    };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
}
