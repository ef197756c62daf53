/**
 * verifyWal over WALs written here with `Wal` + `ChainSequencer`, as
 * `audit_wal` with `audit_chain` writes them (checkpoints unsigned).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeUnsignedStream } from './testutil/unsignedStream.ts';
import { verifyWal } from './verifyWal.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-verifywal-'));
  dirs.push(d);
  return d;
}

describe('verifyWal stream limit', () => {
  it('checks at most streamsMax streams and reports the frames of the others as too-many-streams', async () => {
    const dir = tempDir();
    for (const id of ['a', 'b', 'c', 'd']) await writeUnsignedStream(dir, id, 3);
    const all = verifyWal({ dir });
    expect(all.ok).toBe(true);
    expect(all.streams.map((s) => s.streamId)).toEqual(['a', 'b', 'c', 'd']);

    const bounded = verifyWal({ dir, streamsMax: 2 });
    expect(bounded.ok).toBe(false);
    expect(bounded.streams.map((s) => s.streamId)).toEqual(['a', 'b']);
    expect(bounded.records).toBe(12);
    // Streams c and d: 3 records and a checkpoint each, every frame reported, none checked.
    expect(bounded.issues.map((i) => [i.kind, i.streamId])).toEqual([
      ...Array.from({ length: 4 }, () => ['too-many-streams', 'c']),
      ...Array.from({ length: 4 }, () => ['too-many-streams', 'd']),
    ]);
    expect(bounded.firstIssue?.seq).toBe(9); // the first frame of stream c (a and b: 4 frames each)
  });

  it('counts streams, not records: the fifth one-record stream is over a bound of 4', async () => {
    const dir = tempDir();
    for (let s = 0; s < 5; s++) await writeUnsignedStream(dir, `s${s}`, 1);
    expect(verifyWal({ dir, streamsMax: 5 }).ok).toBe(true);
    expect(verifyWal({ dir, streamsMax: 4 }).firstIssue?.kind).toBe('too-many-streams');
  });
});
