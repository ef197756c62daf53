/**
 * The range-read hole of src/wal/footerIndexShape.test.ts seen through the commands. A sealed segment's
 * footer (CRC recomputed) whose index entries' numbers are not increasing (entry 1 claims the segment's
 * last number, entry 2 its first) made a range read skip index block 1: `replay --from-seq/--to-seq`
 * printed the range without its first records and exited 0 (the same point read serves `reidentify --seq`
 * and `prove`). The open no longer trusts such a footer: the segment is walked, every record of the range
 * printed, the footer reported (exit 3).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { encodeRecord } from '../record/walCodec.ts';
import { editFooter } from '../wal/testutil/editFooter.ts';
import { walCopier } from '../wal/testutil/sealedWalCopies.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { Wal } from '../wal/Wal.ts';
import { runCli } from './testutil/runCli.ts';
import { readdirSync } from 'node:fs';

const tmp = makeTempDir('otel-audit-cli-footer-index-shape-');
afterAll(() => tmp.cleanup());

let copy: () => string;
let segment = '';
/** Block 1 of the chosen segment: its first and second numbers (the second is hidden by the lie). */
let hidden = 0;
let blockEnd = 0;

beforeAll(async () => {
  const original = path.join(tmp.dir, 'original');
  const wal = Wal.open({
    dir: original,
    syncPolicy: 'none',
    preallocate: 'off',
    segmentBytesMax: 8192,
    payloadBytesMax: 2048,
    indexIntervalBytes: 512,
  });
  for (let i = 0; i < 60; i++)
    await wal.append(encodeRecord(createAuditRecord({ body: `event ${i} ${'x'.repeat(200)}` })));
  await wal.close();
  segment = readdirSync(original)
    .filter((n) => n.endsWith('.wal'))
    .sort()[1] as string;
  editFooter(path.join(original, segment), (f) => {
    const [, e1, e2] = f.index;
    if (e1 === undefined || e2 === undefined || f.index.length < 4)
      throw new Error('fewer than 4 index entries');
    hidden = e1.firstSeq + 1;
    blockEnd = e2.firstSeq - 1;
    if (hidden > blockEnd) throw new Error('index block 1 holds a single record');
    return {
      ...f,
      index: f.index.map((x, i) =>
        i === 1 ? { ...x, firstSeq: f.lastSeq } : i === 2 ? { ...x, firstSeq: f.firstSeq } : x,
      ),
    };
  });
  copy = walCopier(tmp.dir, original);
});

const seqsOf = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);

describe('replay/verify over a footer index whose numbers are not increasing', () => {
  it('replay (whole) prints every record and reports the footer', async () => {
    const r = await runCli(['replay', '--wal', copy()]);
    expect(seqsOf(r.stdout)).toHaveLength(60);
    expect(r.code).toBe(3);
  });

  it('replay --from-seq/--to-seq prints every record of the range and reports the footer (exit 3)', async () => {
    const r = await runCli([
      'replay',
      '--wal',
      copy(),
      '--from-seq',
      String(hidden),
      '--to-seq',
      String(blockEnd + 2),
    ]);
    const wanted = Array.from({ length: blockEnd + 2 - hidden + 1 }, (_, k) => hidden + k);
    expect({ seqs: seqsOf(r.stdout), code: r.code }).toEqual({ seqs: wanted, code: 3 });
    expect(r.stderr).toContain(segment);
  });

  it('verify reports the footer, exit 3', async () => {
    const r = await runCli(['verify', '--wal', copy()]);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toContain(segment);
  });
});
