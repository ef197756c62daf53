/**
 * The real file system behind the `FileSystem` seam, on `node:fs`.
 */
import fs from 'node:fs';
import type { FileHandle, FileSystem, OpenMode } from './FileSystem.ts';

/**
 * O_NONBLOCK on reads: it changes nothing for a regular file (Linux ignores it there), but a FIFO or a
 * device in the WAL directory under a WAL file's name (`high-water-mark`, a segment) would otherwise block
 * the open or a read for ever — the process hung at start, or `verify` on an untrusted directory. With it,
 * such a file reads as empty or fails with EAGAIN: a corruption the WAL reports.
 */
const OPEN_FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY | fs.constants.O_NONBLOCK,
  readwrite: fs.constants.O_RDWR | fs.constants.O_NONBLOCK,
  create: fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
};

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

  open(path: string, mode: OpenMode): FileHandle {
    return new NodeFileHandle(path, fs.openSync(path, OPEN_FLAGS[mode], 0o640));
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

  readFile(path: string): Uint8Array {
    return fs.readFileSync(path);
  }

  openAsync(path: string, mode: OpenMode): Promise<FileHandle> {
    return new Promise((resolve, reject) => {
      fs.open(path, OPEN_FLAGS[mode], 0o640, (err, fd) =>
        err ? reject(err) : resolve(new NodeFileHandle(path, fd)),
      );
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
