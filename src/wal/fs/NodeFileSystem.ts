/**
 * The real file system behind the `FileSystem` seam, on `node:fs`.
 */
import fs from 'node:fs';
import { fsError, type FileHandle, type FileSystem, type OpenMode } from './FileSystem.ts';

/**
 * A FIFO or a device in the WAL directory under a WAL file's name (`high-water-mark`, a segment) would
 * block an open for reading, or a read, for ever: the process hung at start, or `verify` on an untrusted
 * directory. Reads therefore open with O_NONBLOCK (Linux ignores it for a regular file), and every file
 * opened for reading or writing must be a regular file (`fstat`), or the open fails with ESPIPE, as a read
 * of a FIFO would: a damaged file the WAL reports. Writing opens keep blocking I/O: a FUSE or network file
 * system could honour O_NONBLOCK on a regular file with EAGAIN, which the writer would take for an I/O failure.
 */
const OPEN_FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY | fs.constants.O_NONBLOCK,
  readwrite: fs.constants.O_RDWR,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
};

/** Opens `path`; anything but a regular file is refused (see OPEN_FLAGS). */
function openRegular(path: string, mode: OpenMode): number {
  const fd = fs.openSync(path, OPEN_FLAGS[mode], 0o640);
  if (mode !== 'create' && !fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw Object.assign(new Error(`ESPIPE: not a regular file, open '${path}'`), { code: 'ESPIPE' });
  }
  return fd;
}

class NodeFileHandle implements FileHandle {
  readonly path: string;
  private readonly fd: number;
  private closed = false;

  constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  write(data: Uint8Array, position: number): void {
    let done = 0;
    while (done < data.length) {
      const n = fs.writeSync(this.fd, data, done, data.length - done, position + done);
      if (n <= 0) {
        throw Object.assign(new Error(`short write to ${this.path}`), { code: 'EIO' });
      }
      done += n;
    }
  }

  async writeAsync(data: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const n = await new Promise<number>((resolve, reject) => {
        fs.write(this.fd, data, done, data.length - done, position + done, (err, written) =>
          err ? reject(err) : resolve(written),
        );
      });
      if (n <= 0) {
        throw Object.assign(new Error(`short write to ${this.path}`), { code: 'EIO' });
      }
      done += n;
    }
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, buffer, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  truncate(length: number): void {
    fs.ftruncateSync(this.fd, length);
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  datasyncSync(): void {
    fs.fdatasyncSync(this.fd);
  }

  fsync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fsync(this.fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

export class NodeFileSystem implements FileSystem {
  readonly identity = 'node-fs';
  /**
   * Measured on this VM (ext4, growing file, CPU per write, 2 interleaved runs each, process.threadCpuUsage):
   * writeSync costs the event loop ~1-3 µs up to 16 KiB, 15-20 at 64-128 KiB, 34-54 at 192 KiB, 74-86 at
   * 512 KiB; a thread-pool write (fs.write, awaited) 14-22 µs at any size up to 128 KiB, 24 at 192 KiB, 15-17
   * at 512 KiB (and ~20-30 µs more of the process's CPU: the pool thread's wake-up). Break-even ~128 KiB.
   */
  readonly writeAsyncBytesMin = 128 * 1024;

  open(path: string, mode: OpenMode): FileHandle {
    return new NodeFileHandle(path, openRegular(path, mode));
  }

  readDir(path: string): string[] {
    return fs.readdirSync(path);
  }

  mkdirp(path: string): void {
    fs.mkdirSync(path, { recursive: true, mode: 0o750 });
  }

  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  remove(path: string): void {
    fs.rmSync(path, { force: false });
  }

  syncDir(path: string): void {
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Through `openRegular`, as `open`: a FIFO under a lock or cursor file's name must not hang the read. */
  readFile(path: string, bytesMax?: number): Uint8Array {
    const fd = openRegular(path, 'read');
    try {
      if (bytesMax === undefined) return fs.readFileSync(fd);
      if (fs.fstatSync(fd).size > bytesMax) throw fsError('EFBIG', `read (over ${bytesMax} bytes)`, path);
      // The bound holds for what is read, not only the size fstat reported: a file grown since, or one
      // whose size is not its length (procfs), reads at most bytesMax + 1 bytes.
      const buf = Buffer.allocUnsafe(bytesMax + 1);
      let got = 0;
      while (got < buf.length) {
        const n = fs.readSync(fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      if (got > bytesMax) throw fsError('EFBIG', `read (over ${bytesMax} bytes)`, path);
      return buf.subarray(0, got);
    } finally {
      fs.closeSync(fd);
    }
  }

  openAsync(path: string, mode: OpenMode): Promise<FileHandle> {
    return new Promise((resolve, reject) => {
      fs.open(path, OPEN_FLAGS[mode], 0o640, (err, fd) => {
        if (err) return reject(err);
        if (mode === 'create') return resolve(new NodeFileHandle(path, fd));
        // As `open`: anything but a regular file is refused (see OPEN_FLAGS).
        fs.fstat(fd, (statErr, st) => {
          if (!statErr && st.isFile()) return resolve(new NodeFileHandle(path, fd));
          fs.close(fd, () =>
            reject(
              statErr ??
                Object.assign(new Error(`ESPIPE: not a regular file, open '${path}'`), { code: 'ESPIPE' }),
            ),
          );
        });
      });
    });
  }

  renameAsync(from: string, to: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.rename(from, to, (err) => (err ? reject(err) : resolve()));
    });
  }

  removeAsync(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.unlink(path, (err) => (err ? reject(err) : resolve()));
    });
  }

  syncDirAsync(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.open(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, (openErr, fd) => {
        if (openErr) return reject(openErr);
        fs.fsync(fd, (syncErr) => {
          fs.close(fd, (closeErr) => {
            const err = syncErr ?? closeErr;
            if (err) reject(err);
            else resolve();
          });
        });
      });
    });
  }
}

/** One instance serves the whole process. */
export const nodeFileSystem: FileSystem = new NodeFileSystem();
