/**
 * A child process for KeyStore.race.test.ts: opens the key store with
 * `deferSync` (as `audit_encrypt`), waits for a line on stdin (so that all
 * children start at once), then takes the key of each subject in turn,
 * flushing every `--batch` subjects as the pipeline flushes a batch. Prints
 * `ok <subject> <key id>` for each key whose flush resolved (what the
 * pipeline would acknowledge) and `fail <subject> <code>` otherwise.
 *
 *   node raceChild.ts --dir DIR --subjects N --batch B   (master key: env RACE_MASTER_KEY, base64)
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KeyStore } from '../KeyStore.ts';
import { secretKeyFromBytes, SecretKeyRing } from '../SecretKey.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, subjects: { type: 'string' }, batch: { type: 'string' } },
});
const store = KeyStore.open({
  directory: values.dir ?? '',
  masterKeys: new SecretKeyRing(
    [secretKeyFromBytes(Buffer.from(process.env['RACE_MASTER_KEY'] ?? '', 'base64'), 'master')],
    'master',
  ),
  create: false,
  deferSync: true,
});
const subjects = Number(values.subjects);
const batch = Number(values.batch);
process.stdout.write('ready\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));

let used: [string, string][] = [];
for (let i = 0; i < subjects; i++) {
  const subject = `subject-${i}`;
  used.push([subject, store.keyForSubject(subject).id]);
  if (used.length === batch || i === subjects - 1) {
    const outcome = await store.flushPending().then(
      () => 'ok',
      (error: unknown) => `fail ${(error as { code?: string }).code ?? 'error'}`,
    );
    for (const [s, id] of used)
      process.stdout.write(outcome === 'ok' ? `ok ${s} ${id}\n` : `${outcome} ${s}\n`);
    used = [];
  }
}
