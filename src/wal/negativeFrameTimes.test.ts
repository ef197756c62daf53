/**
 * Frame times are signed (int64, before 1970 included): a sealed segment whose frames all have negative
 * times is read whole and by time range like any other. Before, the reader's and the footer check's "no
 * frame yet" maximum was -1, above every negative time: a healthy WAL failed to read ("the footer's index
 * entry 0 has time bounds -49000000000..-46000000000, its frames -49000000000..-1"). Found by review RA.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openWalReadOnly } from './readOnly.ts';
import { SEALED_WAL_RECORDS, writeSealedWal } from './testutil/sealedWalCopies.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import { Wal } from './Wal.ts';

const tmp = makeTempDir('otel-audit-negative-times-');
afterAll(() => tmp.cleanup());

/** The sealed test WAL (testutil/sealedWalCopies.ts: SEALED_WAL_RECORDS records, one second apart from `baseNs`). */
async function walAt(name: string, baseNs: bigint): Promise<string> {
  const dir = `${tmp.dir}/${name}`;
  await writeSealedWal(dir, baseNs);
  return dir;
}

describe('frames with negative times', () => {
  it.each([
    ['all negative', -(BigInt(SEALED_WAL_RECORDS) + 30n) * 1_000_000_000n],
    ['negative, then positive', -20_000_000_000n],
    ['(control) positive', 1_000_000_000n],
  ])('%s: every segment reads whole and by time range, no damage', async (name, baseNs) => {
    const dir = await walAt(name.replace(/\W+/g, '-'), baseNs);
    for (const verify of ['tail', 'once', 'full'] as const) {
      const { reader, report } = openWalReadOnly({ dir, verify });
      expect(report.corruptions, verify).toEqual([]);
      expect(
        [...reader.records()].map((r) => r.seq),
        verify,
      ).toEqual(Array.from({ length: SEALED_WAL_RECORDS }, (_, k) => k + 1));
      const damage: string[] = [];
      const from = baseNs + 10_000_000_000n;
      const ranged = [...reader.records({ fromTimeUnixNano: from, onDamage: (d) => damage.push(d.reason) })];
      expect(damage, verify).toEqual([]);
      expect(
        ranged.map((r) => r.seq),
        verify,
      ).toEqual(Array.from({ length: SEALED_WAL_RECORDS - 9 }, (_, k) => k + 10));
    }
    const reopened = Wal.open({
      dir,
      syncPolicy: 'none',
      preallocate: 'off',
      segmentBytesMax: 4096,
      payloadBytesMax: 1024,
    });
    expect(reopened.recovery.corruptions).toEqual([]);
    await reopened.close();
  });
});
