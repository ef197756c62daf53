/**
 * An error of the environment opening the high-water mark (EMFILE, EACCES) is not a damaged mark: it is
 * thrown as it is, never WAL_CORRUPT "unreadable … remove high-water-mark", whose remedy would drop the
 * WAL's guard against lost records. A fault of the file itself (EIO) still reads as an unreadable mark.
 */
import { describe, expect, it } from 'vitest';
import { WalCorruptError } from '../errors.ts';
import { fsError, type FileHandle, type OpenMode } from './fs/FileSystem.ts';
import { SimDisk } from './fs/SimDisk.ts';
import { HIGH_WATER_MARK_FILE, readHighWaterMark } from './HighWaterMark.ts';
import { openWalReadOnly } from './readOnly.ts';
import { payloadFor } from './testutil/frames.ts';
import { Wal } from './Wal.ts';

const DIR = '/wal';
const OPTS = { segmentBytesMax: 64 * 1024, payloadBytesMax: 1024, highWaterMarkIntervalMs: 0 } as const;

/** Fails opens of the mark with `code` while `failing` is set. */
class MarkOpenFailsDisk extends SimDisk {
  failing: string | undefined;
  override open(p: string, mode: OpenMode): FileHandle {
    if (this.failing !== undefined && p.endsWith(`/${HIGH_WATER_MARK_FILE}`))
      throw fsError(this.failing, 'open', p);
    return super.open(p, mode);
  }
}

async function walWithMark(): Promise<MarkOpenFailsDisk> {
  const disk = new MarkOpenFailsDisk(7);
  const wal = Wal.open({ dir: DIR, fs: disk, ...OPTS });
  for (let i = 1; i <= 3; i++) await wal.append(payloadFor('r', i));
  await wal.close();
  expect(readHighWaterMark(disk, DIR)?.lastSeq).toBe(3);
  return disk;
}

describe('high-water mark: environment errors are not corruption', () => {
  for (const code of ['EMFILE', 'EACCES']) {
    it(`${code} opening the mark is an I/O error, not corruption: reading the mark, a writer and a read-only open`, async () => {
      const disk = await walWithMark();
      disk.failing = code;
      const isRaw = (f: () => unknown): void => {
        let thrown: unknown;
        try {
          f();
        } catch (err) {
          thrown = err;
        }
        // The error itself, or a WalIoError naming it (Wal.open wraps I/O errors).
        expect(String(thrown)).toContain(code);
        expect(thrown).not.toBeInstanceOf(WalCorruptError);
      };
      isRaw(() => readHighWaterMark(disk, DIR));
      isRaw(() => Wal.open({ dir: DIR, fs: disk, ...OPTS }));
      isRaw(() => openWalReadOnly({ dir: DIR, fs: disk }));
    });
  }

  it('EIO opening the mark: the mark is unreadable (a writer refuses, a reader reports it)', async () => {
    const disk = await walWithMark();
    disk.failing = 'EIO';
    expect(() => readHighWaterMark(disk, DIR)).toThrow(WalCorruptError);
    expect(() => Wal.open({ dir: DIR, fs: disk, ...OPTS })).toThrow(WalCorruptError);
    const ro = openWalReadOnly({ dir: DIR, fs: disk });
    expect(ro.report.corruptions).toEqual([expect.objectContaining({ kind: 'bad-high-water-mark' })]);
  });
});
