/**
 * A child process for KeyStore.takeoverCrash.test.ts: a KeyStore with deferSync in DIR creates a new
 * key for subject `s`; its flush's writing on the thread pool is held (heldFs.ts, installed into
 * node:fs here: `syncBuiltinESMExports`) at the open of its temporary file or once its link is
 * issued; `flushPendingSync` takes the creation over; prints `taken <key id>`, then on a `release`
 * line from stdin lets the thread pool's writing go on and prints `settled` once that flush has
 * settled, and waits to be killed.
 *
 * With KILL_AT=before-own-link / after-own-link the child SIGKILLs itself inside the takeover, just
 * before / after its own link of a temporary file to the entry name (a real kill -9 at that point).
 *
 *   node takeoverCrashChild.ts --dir DIR --held open|link   (master key: env CRASH_MASTER_KEY, base64)
 */
import type * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { holdNextTemporaryLink, holdNextTemporaryOpen, withHeldFs } from './heldFs.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, held: { type: 'string' } } });
const killAt = process.env['KILL_AT'];
const cjs = createRequire(import.meta.url)('node:fs') as typeof fs & Record<string, unknown>;
const held = withHeldFs({ ...cjs });
const realLinkSync = cjs.linkSync;
let inTakeover = false;
cjs['open'] = held.open;
cjs['link'] = held.link;
cjs['linkSync'] = (from: fs.PathLike, to: fs.PathLike): void => {
  const own = inTakeover && path.basename(String(from)).startsWith('.tmp-');
  if (own && killAt === 'before-own-link') process.kill(process.pid, 'SIGKILL');
  realLinkSync(from, to);
  if (own && killAt === 'after-own-link') process.kill(process.pid, 'SIGKILL');
};
syncBuiltinESMExports();

const { KeyStore } = await import('../KeyStore.ts');
const { SecretKeyRing, secretKeyFromBytes } = await import('../SecretKey.ts');
const master = secretKeyFromBytes(Buffer.from(process.env['CRASH_MASTER_KEY'] ?? '', 'base64'), 'm');
const store = KeyStore.open({
  directory: values.dir ?? '',
  masterKeys: new SecretKeyRing([master], 'master'),
  create: true,
  deferSync: true,
});
store.keyForSubject('s');
await store.flushPending(); // the shard directory exists
store.shred('s');
const key = store.keyForSubject('s'); // a new key, its entry not written yet
const holding = values.held === 'link' ? holdNextTemporaryLink() : holdNextTemporaryOpen();
const inFlight = store.flushPending();
const h = await holding;
inTakeover = true;
store.flushPendingSync();
inTakeover = false;
process.stdout.write(`taken ${key.id}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'release') continue;
  h.release();
  await inFlight.catch(() => undefined);
  process.stdout.write('settled\n');
}
