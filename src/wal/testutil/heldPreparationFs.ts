/**
 * A file system whose background preparations' `datasync()` (files named `*.background.prealloc`) waits
 * for `release()`: the preparation stays in flight, its zeros written, as long as a test wants. All else
 * passes through to `inner` (the node file system or a SimDisk).
 */
import path from 'node:path';
import type { FileHandle, FileSystem, OpenMode } from '../fs/FileSystem.ts';
import { passThroughHandle } from './wrapFs.ts';

export const isBackgroundPreparation = (name: string): boolean => name.endsWith('.background.prealloc');

export class HeldPreparationFs implements FileSystem {
  readonly identity: string;
  /** The handle of the last background preparation opened. */
  prepared: FileHandle | undefined;
  private openGate = (): void => undefined;
  private readonly gate = new Promise<void>((r) => (this.openGate = r));

  private readonly inner: FileSystem;

  constructor(inner: FileSystem) {
    this.inner = inner;
    this.identity = inner.identity;
  }

  release(): void {
    this.openGate();
  }

  open(p: string, mode: OpenMode): FileHandle {
    const h = this.inner.open(p, mode);
    if (!isBackgroundPreparation(path.basename(p))) return h;
    this.prepared = h;
    const gate = this.gate;
    return {
      ...passThroughHandle(h),
      datasync: async () => {
        await gate;
        await h.datasync();
      },
    };
  }
  readDir = (p: string): string[] => this.inner.readDir(p);
  mkdirp = (p: string): void => this.inner.mkdirp(p);
  exists = (p: string): boolean => this.inner.exists(p);
  rename = (a: string, b: string): void => this.inner.rename(a, b);
  remove = (p: string): void => this.inner.remove(p);
  syncDir = (p: string): void => this.inner.syncDir(p);
  readFile = (p: string, bytesMax?: number): Uint8Array => this.inner.readFile(p, bytesMax);
}
