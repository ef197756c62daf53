import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { alternateEntryPath } from './internal/keyStoreFormat.ts';
import { KeyStore } from './KeyStore.ts';
import { secretKeyFromBytes, SecretKeyRing } from './SecretKey.ts';

const CHILD = fileURLToPath(new URL('./testutil/raceChild.ts', import.meta.url));
const tmp = makeTempDir('otel-audit-keystore-race-');
afterAll(() => tmp.cleanup());

interface Child {
  readonly ready: Promise<void>;
  readonly done: Promise<string[]>;
  go(): void;
}

function startChild(dir: string, master: string, subjects: number, batch: number): Child {
  const child = spawn(
    process.execPath,
    [CHILD, '--dir', dir, '--subjects', String(subjects), '--batch', String(batch)],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, RACE_MASTER_KEY: master } },
  );
  let out = '';
  let err = '';
  let signalReady = (): void => undefined;
  const ready = new Promise<void>((r) => (signalReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) signalReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string[]>((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0
        ? resolve(out.split('\n').filter((l) => l !== '' && l !== 'ready'))
        : reject(new Error(`child exited ${code}: ${err}`)),
    ),
  );
  return { ready, done, go: () => child.stdin.end('go\n') };
}

describe('KeyStore with deferSync: processes creating the same subjects at once', () => {
  it('every key a process acknowledged stays findable by id (at the subject name or its alternate), and a shred destroys them all', async () => {
    const master = randomBytes(32).toString('base64');
    const masterKeys = new SecretKeyRing([secretKeyFromBytes(Buffer.from(master, 'base64'), 'm')], 'master');
    const dir = path.join(tmp.dir, 'store');
    KeyStore.open({ directory: dir, masterKeys, create: true });
    const SUBJECTS = 120;
    const children = Array.from({ length: 3 }, (_, i) => startChild(dir, master, SUBJECTS, 5 + 7 * i));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const lines = (await Promise.all(children.map((c) => c.done))).flat();
    expect(lines.filter((l) => !l.startsWith('ok '))).toEqual([]); // no batch failed
    const acknowledged = lines.map((l) => l.split(' ').slice(1) as [string, string]);
    expect(acknowledged).toHaveLength(3 * SUBJECTS);

    const reader = KeyStore.open({ directory: dir, masterKeys, create: false });
    for (const [subject, id] of acknowledged) {
      expect(reader.keyById(id)?.id).toBe(id);
      // The subject's name holds one of the keys acknowledged for it.
      const current = reader.keyForSubject(subject).id;
      expect(acknowledged.some(([s, k]) => s === subject && k === current)).toBe(true);
    }
    // Each subject: one key at its name, any other acknowledged one at its alternate name.
    const distinct = new Set(acknowledged.map(([, id]) => id));
    expect(distinct.size).toBe(
      SUBJECTS +
        new Set(acknowledged.filter(([, id]) => existsSync(alternateEntryPath(dir, id))).map(([, id]) => id))
          .size,
    );
    for (let i = 0; i < SUBJECTS; i++) expect(reader.shred(`subject-${i}`)).toBeDefined();
    const after = KeyStore.open({ directory: dir, masterKeys, create: false });
    for (const id of distinct) expect(after.keyById(id)).toBeUndefined();
    const leftovers = readdirSync(path.join(dir, 'keys'), { recursive: true }).map(String);
    expect(leftovers.filter((f) => f.endsWith('.json') || f.includes('.tmp-'))).toEqual([]);
  });
});
