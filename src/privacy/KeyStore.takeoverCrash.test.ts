/**
 * A shredded key never comes back after a crash (a real kill -9) of a process whose synchronous flush
 * took over a new key's entry that its thread pool was still writing (testutil/takeoverCrashChild.ts):
 * killed after `keys shred` destroyed the key (the store left locked, as a crashed shred leaves it),
 * while or after the thread pool's writing went on, or inside the takeover around its own link. After
 * the restart no file of the store holds the key and a KeyStore opened on the directory does not
 * return it. Before the fence (internal/entryCreation.ts), the thread pool's link landed after the
 * shred and the only record of it was in the dead process's memory.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { KeyStore } from './KeyStore.ts';
import { secretKeyFromBytes, SecretKeyRing } from './SecretKey.ts';

const CHILD = fileURLToPath(new URL('./testutil/takeoverCrashChild.ts', import.meta.url));
const tmp = makeTempDir('otel-audit-keystore-takeover-crash-');
afterAll(() => tmp.cleanup());

type KillPoint = 'after-shred' | 'during-release' | 'after-release' | 'before-own-link' | 'after-own-link';

interface Child {
  /** Resolves with the next stdout line that starts with `word` (rejects if the child exits first). */
  line(word: string): Promise<string>;
  send(line: string): void;
  kill(): Promise<void>;
  readonly exited: Promise<number | null>;
}

function start(dir: string, master: Buffer, held: 'open' | 'link', killAt?: KillPoint): Child {
  const child = spawn(process.execPath, [CHILD, '--dir', dir, '--held', held], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CRASH_MASTER_KEY: master.toString('base64'), KILL_AT: killAt ?? '' },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const lines: string[] = [];
  const waiting: (() => void)[] = [];
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiting.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    exited,
    async line(word) {
      for (;;) {
        const found = lines.find((l) => l.startsWith(word));
        if (found !== undefined) return found;
        const more = new Promise<void>((resolve) => waiting.push(resolve));
        const ended = await Promise.race([more.then(() => false), exited.then(() => true)]);
        if (ended && !lines.some((l) => l.startsWith(word)))
          throw new Error(`child exited before "${word}": ${err}`);
      }
    },
    send: (line) => child.stdin.write(`${line}\n`),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Every file under `dir` whose bytes contain `text`. */
function filesHolding(dir: string, text: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, name);
    if (statSync(file).isFile() && readFileSync(file).includes(text)) found.push(file);
  }
  return found;
}

let n = 0;
async function crashAndCheck(held: 'open' | 'link', killAt: KillPoint): Promise<void> {
  const dir = path.join(tmp.dir, `store-${n++}`);
  const master = randomBytes(32);
  const masterKeys = new SecretKeyRing([secretKeyFromBytes(master, 'm')], 'master');
  const open = (deferSync: boolean): KeyStore =>
    KeyStore.open({ directory: dir, masterKeys, create: false, deferSync });
  const child = start(
    dir,
    master,
    held,
    killAt === 'before-own-link' || killAt === 'after-own-link' ? killAt : undefined,
  );
  let keyId: string;
  if (killAt === 'before-own-link' || killAt === 'after-own-link') {
    expect(await child.exited).toBeNull(); // killed (SIGKILL) inside its takeover
    // What the takeover left is the key of a subject not shredded yet: keys shred now (as after a restart).
    const key = open(false).keyForSubject('s');
    keyId = key.id;
    expect(open(false).shred('s')).toBe(keyId);
  } else {
    keyId = (await child.line('taken ')).slice('taken '.length);
    expect(open(false).shred('s')).toBe(keyId); // keys shred, another process
    // Left locked, as a crashed shred leaves it: the key could not have been destroyed again.
    const lock = path.join(dir, 'lock');
    writeFileSync(lock, '4242\n');
    if (killAt === 'during-release') child.send('release');
    if (killAt === 'after-release') {
      child.send('release');
      await child.line('settled');
    }
    await child.kill();
    rmSync(lock);
  }
  // The restart: a processor's store and a reader's on the same directory.
  expect(filesHolding(path.join(dir, 'keys'), keyId)).toEqual([]);
  const restarted = open(true);
  expect(restarted.keyById(keyId)).toBeUndefined();
  const next = restarted.keyForSubject('s');
  expect(next.id).not.toBe(keyId);
  await restarted.flushPending();
  expect(open(false).keyForSubject('s').id).toBe(next.id);
  expect(existsSync(path.join(dir, 'lock'))).toBe(false);
}

describe('KeyStore: a shredded key after a kill -9 during a takeover of its entry', () => {
  for (const held of ['open', 'link'] as const) {
    for (const killAt of ['after-shred', 'during-release', 'after-release'] as const) {
      it(`writing held at its ${held}, killed ${killAt}: not back after the restart`, async () => {
        await crashAndCheck(held, killAt);
      });
    }
  }
  for (const held of ['open', 'link'] as const) {
    for (const killAt of ['before-own-link', 'after-own-link'] as const) {
      it(`writing held at its ${held}, killed ${killAt} in the takeover, then shredded: not back`, async () => {
        await crashAndCheck(held, killAt);
      });
    }
  }
});
