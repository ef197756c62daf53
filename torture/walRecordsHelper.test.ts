/**
 * The end-to-end tests' `walRecords` helper (test/helpers/startService.ts,
 * part of the torture area's brief): a WAL with a destroyed frame must make
 * it throw, never return the other records as if nothing were missing.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { encodeRecord } from '../src/record/walCodec.ts';
import { Wal } from '../src/wal/Wal.ts';
import { walRecords } from '../test/helpers/startService.ts';

const tmp = makeTempDir('otel-audit-walrecords-');
afterAll(() => tmp.cleanup());

async function writeWal(dir: string, n: number): Promise<void> {
  const wal = Wal.open({ dir, segmentBytesMax: 4096, payloadBytesMax: 1024 });
  for (let i = 0; i < n; i++)
    await wal.append(encodeRecord(createAuditRecord({ body: `record ${i} ${'x'.repeat(200)}` })));
  await wal.close();
}

/** Flips a bit at `offset` of the `index`-th segment file. */
function damage(dir: string, index: number, offset: number): void {
  const name = readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort()[index] as string;
  const file = path.join(dir, name);
  const bytes = readFileSync(file);
  bytes[offset] = (bytes[offset] as number) ^ 0x10;
  writeFileSync(file, bytes);
}

describe('walRecords (test/helpers/startService.ts)', () => {
  it('returns every record of an intact WAL', async () => {
    const dir = path.join(tmp.dir, 'intact');
    await writeWal(dir, 40);
    expect(walRecords(dir)).toHaveLength(40);
  });

  it('throws when a segment header is damaged, although every record still reads', async () => {
    // Recovery reports the header (bad-header); reading alone did not notice, and walRecords returned
    // all 40 records as if the WAL were intact.
    const dir = path.join(tmp.dir, 'bad-header');
    await writeWal(dir, 40);
    damage(dir, 0, 0);
    expect(() => walRecords(dir)).toThrow(/WAL .* is damaged: 00000000000000000001\.wal bad-header/);
  });

  it('throws when a frame of a sealed segment is destroyed', async () => {
    const dir = path.join(tmp.dir, 'bad-frame');
    await writeWal(dir, 40);
    damage(dir, 0, 1000);
    expect(() => walRecords(dir)).toThrow(/damaged|bad frame/);
  });
});
