import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { DEFAULT_SUBJECT, KeyStore } from './KeyStore.ts';
import { SecretKeyRing, type SecretKey } from './SecretKey.ts';
import { randomSecretKey } from './testutil/keys.ts';

const tmp = makeTempDir('otel-audit-keystore-');
afterAll(() => tmp.cleanup());
let n = 0;
const master = randomSecretKey();

function open(
  directory: string,
  keys: SecretKey[] = [master],
  o: { ttlMs?: number; now?: () => number } = {},
) {
  return KeyStore.open({
    directory,
    masterKeys: new SecretKeyRing(keys, 'master'),
    create: true,
    ...(o.ttlMs === undefined ? {} : { cacheTtlMs: o.ttlMs }),
    ...(o.now === undefined ? {} : { nowMs: o.now }),
  });
}
const freshDir = () => path.join(tmp.dir, `store-${n++}`);

describe('KeyStore', () => {
  it('creates one key per subject on first use, durably, and finds it again after reopening', () => {
    const dir = freshDir();
    const store = open(dir);
    const a = store.keyForSubject('alice');
    expect(a.id).toMatch(/^[0-9a-f]{32}\.[0-9a-f]{12}$/);
    expect(store.keyForSubject('alice')).toBe(a);
    expect(store.keyForSubject('bob').id).not.toBe(a.id);
    expect(store.keyForSubject(DEFAULT_SUBJECT).id).not.toBe(a.id);

    const again = open(dir);
    expect(again.keyForSubject('alice').id).toBe(a.id);
    expect(again.keyById(a.id)?.key.export().equals(a.key.export())).toBe(true);
    // file names do not show subjects
    const files = readdirSync(path.join(dir, 'keys'), { recursive: true }).map(String).join(' ');
    expect(files).not.toContain('alice');
    expect(readFileSync(path.join(dir, 'store.json'), 'utf8')).toMatch(/"format":"otel-audit-key-store"/);
  });

  it('shreds a subject durably: the key id is gone, a new key has a new id, other subjects are untouched', () => {
    const dir = freshDir();
    const store = open(dir);
    const a = store.keyForSubject('alice');
    const b = store.keyForSubject('bob');
    expect(store.shred('alice')).toBe(a.id);
    expect(store.shred('alice')).toBeUndefined();
    expect(store.keyById(a.id)).toBeUndefined();
    expect(open(dir).keyById(a.id)).toBeUndefined();
    expect(open(dir).keyById(b.id)?.id).toBe(b.id);
    const a2 = store.keyForSubject('alice');
    expect(a2.id).not.toBe(a.id);
    expect(a2.id.split('.')[0]).toBe(a.id.split('.')[0]);
    expect(store.keyById(a.id)).toBeUndefined();
    expect(existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it("a shred also destroys a temporary file a crash left holding a key of the subject (a rewrap killed before its rename); other subjects' stay", () => {
    const dir = freshDir();
    const store = open(dir);
    const a = store.keyForSubject('amy');
    const ref = store.subjectRef('amy');
    // Another subject in the same shard directory (no key is created for the ones tried).
    const other = Array.from({ length: 5000 }, (_, i) => `neighbour-${i}`).find(
      (s) => store.subjectRef(s).slice(0, 2) === ref.slice(0, 2),
    ) as string;
    const b = store.keyForSubject(other);
    const shard = path.join(dir, 'keys', ref.slice(0, 2));
    const entryOf = (id: string) => path.join(shard, `${id.split('.')[0]}.json`);
    // What a rewrap (or a processor's rewrite after a failed fsync) killed between its temporary
    // file and the rename leaves behind: the entry, (re)wrapped, under a temporary name.
    const leftover = path.join(shard, '.tmp-00112233aabbccdd');
    const theirs = path.join(shard, '.tmp-44556677eeff0011');
    writeFileSync(leftover, readFileSync(entryOf(a.id)));
    writeFileSync(theirs, readFileSync(entryOf(b.id)));
    expect(open(dir).shred('amy')).toBe(a.id);
    // Nothing in the store holds amy's key any more (renamed back, the leftover would decrypt again).
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of files) expect(readFileSync(path.join(f.parentPath, f.name), 'utf8')).not.toContain(a.id);
    expect(existsSync(leftover)).toBe(false);
    expect(readFileSync(theirs, 'utf8')).toContain(b.id); // another subject's: not this shred's business
    expect(open(dir).keyById(b.id)?.id).toBe(b.id);
  });

  it('a shred by another process is seen once the cache entry expires', () => {
    const dir = freshDir();
    let now = 0;
    const processor = open(dir, [master], { ttlMs: 1000, now: () => now });
    const a = processor.keyForSubject('alice');
    open(dir).shred('alice');
    expect(processor.keyForSubject('alice').id).toBe(a.id); // cached
    now = 1000;
    expect(processor.keyForSubject('alice').id).not.toBe(a.id);
    expect(processor.keyById(a.id)).toBeUndefined();
  });

  it('refuses a master key it was not made with, naming both ids', () => {
    const dir = freshDir();
    open(dir).keyForSubject('alice');
    const other = randomSecretKey();
    expect(() => open(dir, [other])).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND' }));
    expect(() => open(dir, [other])).toThrow(new RegExp(`${master.id}.*${other.id}`));
    expect(() =>
      KeyStore.open({ directory: freshDir(), masterKeys: new SecretKeyRing([master], 'm'), create: false }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('reports a changed or moved entry as KEY_STORE_CORRUPT', () => {
    const dir = freshDir();
    const store = open(dir);
    const a = store.keyForSubject('alice');
    const b = store.keyForSubject('bob');
    const file = (id: string) => path.join(dir, 'keys', id.slice(0, 2), `${id.split('.')[0]}.json`);
    const entry = JSON.parse(readFileSync(file(a.id), 'utf8')) as Record<string, string>;
    const wrapped = entry['wrapped'] as string;
    const flipped = `${wrapped.slice(0, 30)}${wrapped[30] === 'A' ? 'B' : 'A'}${wrapped.slice(31)}`;
    writeFileSync(file(a.id), JSON.stringify({ ...entry, wrapped: flipped }));
    expect(() => open(dir).keyById(a.id)).toThrow(expect.objectContaining({ code: 'KEY_STORE_CORRUPT' }));
    // bob's entry copied over alice's file: its key id names another file
    writeFileSync(file(a.id), readFileSync(file(b.id)));
    expect(() => open(dir).keyForSubject('alice')).toThrow(
      expect.objectContaining({ code: 'KEY_STORE_CORRUPT' }),
    );
    writeFileSync(file(a.id), 'not json');
    expect(() => open(dir).keyForSubject('alice')).toThrow(
      expect.objectContaining({ code: 'KEY_STORE_CORRUPT' }),
    );
    // a damaged entry can still be shredded
    expect(open(dir).shred('alice')).toMatch(/unreadable/);
  });

  it('rotates master keys: reads with old ones, wraps new keys with the active one, rewraps everything', () => {
    const dir = freshDir();
    const a = open(dir).keyForSubject('alice');
    const next = randomSecretKey();
    const rotated = open(dir, [next, master]);
    const b = rotated.keyForSubject('bob');
    expect(rotated.keyById(a.id)?.id).toBe(a.id);
    expect(() => open(dir, [next])).toThrow(expect.objectContaining({ code: 'KEY_NOT_FOUND' }));
    expect(rotated.rewrap()).toBe(2); // store.json and alice's entry
    expect(rotated.rewrap()).toBe(0);
    const onlyNext = open(dir, [next]);
    expect(onlyNext.keyById(a.id)?.key.export().equals(a.key.export())).toBe(true);
    expect(onlyNext.keyById(b.id)?.key.export().equals(b.key.export())).toBe(true);
  });

  it('refuses a shred while another holds the lock, and names the lock file', () => {
    const dir = freshDir();
    const store = open(dir);
    store.keyForSubject('alice');
    writeFileSync(path.join(dir, 'lock'), '4242\n');
    expect(() => store.shred('alice')).toThrow(expect.objectContaining({ code: 'KEY_STORE_IO' }));
    expect(() => store.shred('alice')).toThrow(/pid 4242/);
  });
});
