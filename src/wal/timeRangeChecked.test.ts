/**
 * A time-range read (`replay --from/--to`, verify 'tail'/'once') used to trust a sealed segment's footer
 * time bounds and its index blocks' bounds to skip them: a footer whose time bounds lie (CRC recomputed)
 * made such a read return none of the segment's records in the range, reporting nothing. A checked
 * segment is now never skipped by time: it is read whole (WalReader.records), which checks those bounds.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWalReadOnly } from './readOnly.ts';
import { editFooter } from './testutil/editFooter.ts';
import { SEALED_WAL_T0, sealedWal } from './testutil/sealedWalCopies.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import type { ReadDamage } from './WalReader.ts';

const tmp = makeTempDir('otel-audit-time-range-checked-');
afterAll(() => tmp.cleanup());

let segments: readonly string[] = [];
let copy: () => string;

beforeAll(async () => {
  ({ segments, copy } = await sealedWal(tmp.dir));
});

const at = (i: number): bigint => SEALED_WAL_T0 + BigInt(i) * 1_000_000_000n;
const FAR = at(100_000);

function timedRead(dir: string, from: number, to: number): { seqs: number[]; reported: number } {
  const damage: ReadDamage[] = [];
  const ro = openWalReadOnly({ dir });
  const seqs = [
    ...ro.reader.records({
      fromTimeUnixNano: at(from),
      toTimeUnixNano: at(to),
      onDamage: (d) => damage.push(d),
    }),
  ].map((r) => r.seq);
  return { seqs, reported: damage.length + ro.report.corruptions.length };
}

describe('a time-range read over a footer whose time bounds lie', () => {
  it('intact WAL: records 15..20 by time, nothing reported', () => {
    expect(timedRead(copy(), 15, 20)).toEqual({ seqs: [15, 16, 17, 18, 19, 20], reported: 0 });
  });

  it("segment's time bounds moved away: the records are returned and the lie reported", () => {
    const dir = copy();
    editFooter(path.join(dir, segments[1] as string), (f) => ({
      ...f,
      minTimeUnixNano: FAR,
      maxTimeUnixNano: FAR + 1n,
    }));
    const r = timedRead(dir, 15, 20);
    expect(r).toEqual({ seqs: [15, 16, 17, 18, 19, 20], reported: 1 });
  });

  it("an index block's time bounds moved away: its records are returned and the lie reported", () => {
    const dir = copy();
    editFooter(path.join(dir, segments[1] as string), (f) => ({
      ...f,
      index: f.index.map((e, i) => (i === 1 ? { ...e, minTimeUnixNano: FAR, maxTimeUnixNano: FAR } : e)),
    }));
    const r = timedRead(dir, 15, 16);
    expect(r).toEqual({ seqs: [15, 16], reported: 1 });
  });
});
