/**
 * Which file system a directory lives on, from /proc/mounts (Linux only;
 * elsewhere reports 'unknown').
 */
import fs from 'node:fs';

export interface FsInfo {
  readonly type: string;
  readonly device: string;
  readonly mountPoint: string;
  readonly options: string;
}

/** The /proc/mounts entry with the longest mount point that contains `dir`. */
export function fileSystemOf(dir: string): FsInfo {
  const unknown: FsInfo = { type: 'unknown', device: 'unknown', mountPoint: 'unknown', options: '' };
  let real: string;
  let mounts: string;
  try {
    real = fs.realpathSync(dir);
    mounts = fs.readFileSync('/proc/mounts', 'utf8');
  } catch {
    return unknown;
  }
  let best = unknown;
  for (const line of mounts.split('\n')) {
    const [device, mountPoint, type, options] = line.split(' ');
    if (!device || !mountPoint || !type) continue;
    const mp = mountPoint.replace(/\\040/g, ' ');
    const contains = mp === '/' || real === mp || real.startsWith(mp + '/');
    if (contains && (best.mountPoint === 'unknown' || mp.length >= best.mountPoint.length)) {
      best = { type, device, mountPoint: mp, options: options ?? '' };
    }
  }
  return best;
}

/** One-line description for benchmark output, e.g. `ext4 on /dev/vda mounted at / (rw,relatime)`. */
export function describeFileSystem(dir: string): string {
  const f = fileSystemOf(dir);
  return `${f.type} on ${f.device} mounted at ${f.mountPoint} (${f.options})`;
}
