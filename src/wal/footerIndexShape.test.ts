/**
 * A range read of a sealed segment (`verify: 'tail'`, replay --from/--to, prove --seq) starts at the
 * footer's index. An index whose entries' numbers are not increasing (CRC recomputed) used to be trusted
 * at open and made scanRanges skip a middle block (`nextB.firstSeq <= lower`): the records of the skipped
 * block were silently not returned. The open now checks the index's shape before trusting the footer
 * (footerProblem.ts footerIndexProblem): such a segment is walked and reported as bad-footer.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWalReadOnly } from './readOnly.ts';
import { editFooter } from './testutil/editFooter.ts';
import { sealedWal } from './testutil/sealedWalCopies.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import type { ReadDamage, ReadOptions } from './WalReader.ts';

const tmp = makeTempDir('otel-audit-footer-index-shape-');
afterAll(() => tmp.cleanup());

let segments: readonly string[] = [];
let copy: () => string;

beforeAll(async () => {
  ({ segments, copy } = await sealedWal(tmp.dir));
});

function tailRead(
  dir: string,
  opts: ReadOptions,
): { seqs: number[]; damage: ReadDamage[]; atOpen: string[] } {
  const damage: ReadDamage[] = [];
  const ro = openWalReadOnly({ dir });
  const seqs = [...ro.reader.records({ ...opts, onDamage: (d) => damage.push(d) })].map((r) => r.seq);
  return { seqs, damage, atOpen: ro.report.corruptions.map((c) => c.kind) };
}

/** Segment 1's index with entry 1 claiming a late number and entry 2 an early one: block 1 is skipped. */
function lieAboutBlock1(dir: string): { lower: number; upper: number } {
  let lower = 0;
  let upper = 0;
  editFooter(path.join(dir, segments[1] as string), (f) => {
    const [e0, e1, e2] = f.index;
    if (e0 === undefined || e1 === undefined || e2 === undefined || f.index.length < 4)
      throw new Error('fewer than four index entries');
    lower = e1.firstSeq + 1; // a record inside block 1 (block 1 holds e1.firstSeq .. e2.firstSeq - 1)
    upper = e2.firstSeq + 1;
    expect(lower).toBeLessThan(e2.firstSeq);
    return {
      ...f,
      index: f.index.map((x, i) =>
        i === 1 ? { ...x, firstSeq: f.lastSeq } : i === 2 ? { ...x, firstSeq: f.firstSeq } : x,
      ),
    };
  });
  return { lower, upper };
}

describe('a range read over a footer index whose numbers are not increasing', () => {
  it('returns every record asked for', () => {
    const dir = copy();
    const { lower, upper } = lieAboutBlock1(dir);
    const r = tailRead(dir, { fromSeq: lower, toSeq: upper });
    const wanted = Array.from({ length: upper - lower + 1 }, (_, k) => lower + k);
    expect(r.seqs).toEqual(wanted);
  });

  it('a point read of the hidden record returns it, the footer reported at open', () => {
    const dir = copy();
    const { lower } = lieAboutBlock1(dir);
    const r = tailRead(dir, { fromSeq: lower, toSeq: lower });
    expect({ seqs: r.seqs, damage: r.damage.length, atOpen: r.atOpen }).toEqual({
      seqs: [lower],
      damage: 0,
      atOpen: ['bad-footer'],
    });
  });

  it('a whole read over the same footer reads every record; the index is reported at open', () => {
    const dir = copy();
    lieAboutBlock1(dir);
    const ro = openWalReadOnly({ dir });
    const seqs = [...ro.reader.records()].map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 60 }, (_, k) => k + 1));
    expect(ro.report.corruptions.map((c) => [c.segment, c.kind, c.detail])).toEqual([
      [segments[1], 'bad-footer', expect.stringContaining('index entry 2')],
    ]);
  });
});
