import * as fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { KeyStoreIoError } from '../errors.ts';
import {
  createFileOnce,
  discardTemporary,
  linkFileOnce,
  linkFileOnceAsync,
  linksAndBytes,
  linkTemporaryAsync,
  renameTemporary,
  replaceFile,
  writeTemporaryAsync,
} from './durableFiles.ts';

/** While `on`, writeSync fails as on a full disk; while `short`, it writes half and says so. */
const full = vi.hoisted(() => ({
  on: false,
  short: false,
  rewrapRemovesTemporary: false,
  renameFails: false,
}));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    writeSync: (...args: Parameters<typeof real.writeSync>) => {
      if (full.on)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const [fd, data]: [number, unknown] = [args[0], args[1]];
      if (full.short && data instanceof Uint8Array)
        return real.writeSync(fd, data.subarray(0, data.length >> 1));
      return real.writeSync(...args);
    },
    renameSync: (from: string, to: string) => {
      if (full.renameFails) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      real.renameSync(from, to);
    },
    // A rewrap removing the temporary file (it lists `.tmp-*` names) just after the link.
    linkSync: (from: string, to: string) => {
      real.linkSync(from, to);
      if (full.rewrapRemovesTemporary) real.unlinkSync(from);
    },
    link: (from: string, to: string, callback: (error: Error | null) => void) =>
      real.link(from, to, (error) => {
        if (!error && full.rewrapRemovesTemporary) real.unlinkSync(from);
        callback(error);
      }),
    // The callback form (linkFileOnceAsync): (fd, buffer, offset, length, position, callback).
    write: (...args: unknown[]) => {
      const callback = args.at(-1) as (error: Error | null, written?: number) => void;
      if (full.on)
        return process.nextTick(() =>
          callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
        );
      const [fd, data, offset, length, position] = args as [number, Uint8Array, number, number, number];
      const n = full.short ? length >> 1 : length;
      return real.write(fd, data, offset, n, position, callback);
    },
  };
});

const tmp = makeTempDir('otel-audit-durable-files-');
afterAll(() => tmp.cleanup());

describe('durableFiles on a full disk', () => {
  for (const [name, create] of [
    ['linkFileOnce', linkFileOnce],
    ['createFileOnce', createFileOnce],
  ] as const) {
    it(`${name} fails with KEY_STORE_IO and leaves no temporary file behind (one per retry otherwise)`, () => {
      const dir = path.join(tmp.dir, name);
      fs.mkdirSync(dir);
      full.on = true;
      try {
        for (let i = 0; i < 3; i++)
          expect(() => create(path.join(dir, 'entry.json'), Buffer.from('{}'))).toThrow(KeyStoreIoError);
      } finally {
        full.on = false;
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  }

  it('linkFileOnceAsync too: a full disk or a short write fails with KEY_STORE_IO, no temporary file left, nothing linked', async () => {
    for (const mode of ['on', 'short'] as const) {
      const dir = path.join(tmp.dir, `async-${mode}`);
      fs.mkdirSync(dir);
      full[mode] = true;
      try {
        for (let i = 0; i < 3; i++)
          await expect(
            linkFileOnceAsync(path.join(dir, 'entry.json'), Buffer.from('{"key_id":"0123456789"}')),
          ).rejects.toThrow(KeyStoreIoError);
      } finally {
        full[mode] = false;
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });

  it('a short write is an error, never a truncated entry (corrupt for ever, its key already in use)', () => {
    const dir = path.join(tmp.dir, 'short');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'entry.json');
    full.short = true;
    try {
      expect(() => linkFileOnce(file, Buffer.from('{"key_id":"0123456789"}'))).toThrow(KeyStoreIoError);
    } finally {
      full.short = false;
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('an entry whose temporary file a rewrap removed right after the link is created all the same (the link is what counts)', async () => {
    const dir = path.join(tmp.dir, 'rewrap-removed');
    fs.mkdirSync(dir);
    full.rewrapRemovesTemporary = true;
    try {
      expect(linkFileOnce(path.join(dir, 'a.json'), Buffer.from('{"a":1}'))).toBe(true);
      expect(createFileOnce(path.join(dir, 'b.json'), Buffer.from('{"b":1}'))).toBe(true);
      expect(await linkFileOnceAsync(path.join(dir, 'c.json'), Buffer.from('{"c":1}'))).toBe(true);
    } finally {
      full.rewrapRemovesTemporary = false;
    }
    expect(fs.readdirSync(dir)).toEqual(['a.json', 'b.json', 'c.json']);
    expect(fs.readFileSync(path.join(dir, 'c.json'), 'utf8')).toBe('{"c":1}');
  });

  it('replaceFile whose rename fails leaves no temporary file (it holds the entry: a key a shred would miss) and the old file as it was', () => {
    const dir = path.join(tmp.dir, 'rename-fails');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'entry.json');
    fs.writeFileSync(file, 'old');
    full.renameFails = true;
    try {
      expect(() => replaceFile(file, Buffer.from('new'))).toThrow(KeyStoreIoError);
    } finally {
      full.renameFails = false;
    }
    expect(fs.readdirSync(dir)).toEqual(['entry.json']);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
  });

  it('renameTemporary fences a link of the temporary file: it fails (ENOENT) after; what ran before keeps a second name', async () => {
    const dir = path.join(tmp.dir, 'fence');
    fs.mkdirSync(dir);
    const bytes = Buffer.from('{"k":1}');
    const late = await writeTemporaryAsync(path.join(dir, 'late.json'), bytes);
    const lateFenced = renameTemporary(late) as string;
    await expect(linkTemporaryAsync(late, path.join(dir, 'late.json'))).rejects.toThrow(/ENOENT/);
    expect(linksAndBytes(lateFenced, 4096)).toMatchObject({ links: 1, bytes }); // intact, linked nowhere
    const early = await writeTemporaryAsync(path.join(dir, 'early.json'), bytes);
    expect(await linkTemporaryAsync(early, path.join(dir, 'early.json'))).toBe(true);
    const earlyFenced = renameTemporary(early) as string;
    expect(linksAndBytes(earlyFenced, 4096)?.links).toBe(2); // the link ran first
    expect(renameTemporary(early)).toBeUndefined(); // gone
    discardTemporary(earlyFenced); // only unlinked: the entry keeps its data
    discardTemporary(lateFenced); // destroyed
    expect(fs.readdirSync(dir)).toEqual(['early.json']);
    expect(fs.readFileSync(path.join(dir, 'early.json'))).toEqual(bytes);
  });
});
