/**
 * Durable named cursors: how far each downstream consumer has confirmed.
 * File `cursors/<name>.cursor`, 32 bytes: magic "OTACURS1", sequence number
 * (u64), update time in unix ns (i64), reserved (u32), CRC32C of bytes
 * [0, 28). An update is atomic: write a temp file, sync it, rename it over
 * the old one, sync the directory. A consumer restarts after its cursor, so
 * delivery downstream is at-least-once.
 */
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { OtelAuditError, WalCursorCorruptError } from '../errors.ts';
import { errnoCode, type FileSystem } from './fs/FileSystem.ts';
import { readSafeU64 } from './format.ts';

const MAGIC = Buffer.from('OTACURS1', 'ascii');
const CURSOR_BYTES = 32;
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

export class CursorStore {
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly durableSeq: () => number;
  private readonly chains = new Map<string, Promise<void>>();

  constructor(fs: FileSystem, walDir: string, durableSeq: () => number) {
    this.fs = fs;
    this.dir = path.join(walDir, 'cursors');
    this.durableSeq = durableSeq;
  }

  /** The committed position of `name` (0: nothing consumed yet). */
  get(name: string): number {
    const file = this.file(name);
    let bytes: Uint8Array;
    try {
      // Larger than a cursor is not read (EFBIG): a huge file under its name must not fill memory.
      bytes = this.fs.readFile(file, CURSOR_BYTES);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return 0;
      if (errnoCode(err) !== 'EFBIG') throw err;
      bytes = new Uint8Array(0); // not a cursor: reported as corrupt below
    }
    const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (
      b.length !== CURSOR_BYTES ||
      !b.subarray(0, 8).equals(MAGIC) ||
      b.readUInt32LE(28) !== crc32c(b.subarray(0, 28))
    ) {
      throw new WalCursorCorruptError(
        `cursor ${name} (${file}) is corrupt; restore it or remove it to re-deliver from the start`,
      );
    }
    const seq = readSafeU64(b, 8);
    if (seq === undefined) throw new WalCursorCorruptError(`cursor ${name}: sequence number out of range`);
    return seq;
  }

  /** Names of all cursors. */
  list(): string[] {
    if (!this.fs.exists(this.dir)) return [];
    return this.fs
      .readDir(this.dir)
      .filter((n) => n.endsWith('.cursor'))
      .map((n) => n.slice(0, -'.cursor'.length));
  }

  /** Durably moves cursor `name` to `seq`. Updates of one cursor are applied in call order. */
  commit(name: string, seq: number): Promise<void> {
    this.file(name);
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.durableSeq()) {
      return Promise.reject(
        new OtelAuditError(
          'INVALID_ARGUMENT',
          `cursor ${name}: ${seq} is not in [0, durable ${this.durableSeq()}]`,
        ),
      );
    }
    const prev = this.chains.get(name) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.write(name, seq));
    this.chains.set(name, next);
    return next;
  }

  private async write(name: string, seq: number): Promise<void> {
    if (!this.fs.exists(this.dir)) {
      this.fs.mkdirp(this.dir);
      this.fs.syncDir(path.dirname(this.dir));
    }
    const b = Buffer.alloc(CURSOR_BYTES);
    MAGIC.copy(b, 0);
    b.writeBigUInt64LE(BigInt(seq), 8);
    b.writeBigInt64LE(BigInt(Date.now()) * 1_000_000n, 16);
    b.writeUInt32LE(crc32c(b.subarray(0, 28)), 28);
    const target = this.file(name);
    const tmp = `${target}.tmp`;
    if (this.fs.exists(tmp)) this.fs.remove(tmp);
    const h = this.fs.open(tmp, 'create');
    try {
      h.write(b, 0);
      await h.datasync();
    } finally {
      h.close();
    }
    this.fs.rename(tmp, target);
    this.fs.syncDir(this.dir);
  }

  private file(name: string): string {
    if (!NAME_PATTERN.test(name)) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `cursor name ${JSON.stringify(name)} must match ${NAME_PATTERN}`,
      );
    }
    return path.join(this.dir, `${name}.cursor`);
  }
}
