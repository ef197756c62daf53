/**
 * The newest segment torn by a crash while sealing — a trailer cut short, a
 * FOOTER frame cut short, a footer written but no trailer yet with zeros after it — verifies (exit 0, no
 * issue): it is no bit rot; replay reads every record; a writer's open then reseals and verify stays 0.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTrailer, TRAILER_BYTES } from '../wal/format.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { Wal } from '../wal/Wal.ts';
import { runCli } from './testutil/runCli.ts';
import { sealedCliWal } from './testutil/sealedCliWal.ts';

const tmp = makeTempDir('otel-audit-torn-seal-');
afterAll(() => tmp.cleanup());

let copy: () => string;
let newest = '';

beforeAll(async () => {
  const wal = await sealedCliWal(tmp.dir, 40);
  newest = wal.segments.at(-1) as string;
  copy = wal.copy;
});

const seqsOf = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);

async function expectHealthy(dir: string): Promise<void> {
  const v = await runCli(['verify', '--wal', dir]);
  expect(v.code, v.stdout + v.stderr).toBe(0);
  const r = await runCli(['replay', '--wal', dir]);
  expect(seqsOf(r.stdout)).toHaveLength(40);
  expect(r.code, r.stderr).toBe(0);
}

describe('the newest segment torn while sealing', () => {
  it('trailer cut short', async () => {
    const dir = copy();
    const file = path.join(dir, newest);
    const size = readFileSync(file).length;
    truncateSync(file, size - 5);
    await expectHealthy(dir);
    await Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' }).close();
    await expectHealthy(dir);
  });

  it('FOOTER frame cut short', async () => {
    const dir = copy();
    const file = path.join(dir, newest);
    const b = readFileSync(file);
    const at = decodeTrailer(b.subarray(b.length - TRAILER_BYTES)) as number;
    truncateSync(file, at + 40);
    await expectHealthy(dir);
  });

  it('footer whole, trailer still zeros (preallocated)', async () => {
    const dir = copy();
    const file = path.join(dir, newest);
    const b = readFileSync(file);
    b.fill(0, b.length - TRAILER_BYTES);
    writeFileSync(file, Buffer.concat([b, Buffer.alloc(4096)]));
    await expectHealthy(dir);
  });
});
