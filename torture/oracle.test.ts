/**
 * The oracle must be able to fail: each test plants one violation (a lost
 * acknowledged record, a changed byte, a duplicate, a reordering, a gap, a
 * torn record, corruption that nobody injected, damage nobody reported, an
 * unexplained verify finding) and expects a sentence naming it; the
 * consistent baseline must pass. Then the same through the real WAL: an
 * acknowledged record cut off the disk behind the harness's back is found.
 */
import { describe, expect, it } from 'vitest';
import type { VerifyIssue, VerifyReport } from '../src/integrity/verify/VerifyReport.ts';
import { FrameType } from '../src/wal/format.ts';
import type { RecoveryReport } from '../src/wal/recover.ts';
import { Ledger } from './ledger.ts';
import { checkWal, range, type InjectedDamage, type ObservedRecord, type OracleInput } from './oracle.ts';
import { SimWalHarness } from './SimWalHarness.ts';

const payload = (n: number): Uint8Array => Buffer.from(`record #${n} ${'x'.repeat(n % 7)}`);

/** Five appends, all acknowledged at seqs 1..5, read back intact. */
function world(): { ledger: Ledger; records: ObservedRecord[] } {
  const ledger = new Ledger();
  const records: ObservedRecord[] = [];
  for (let i = 0; i < 5; i++) {
    const a = ledger.attempt(payload(i));
    ledger.ack(i + 1, a);
    records.push({ seq: i + 1, type: FrameType.RECORD, timeUnixNano: BigInt(i), payload: payload(i) });
  }
  return { ledger, records };
}

const NO_CORRUPTION: RecoveryReport = {
  segments: 1,
  records: 5,
  firstSeq: 1,
  lastSeq: 5,
  tornTails: [],
  corruptions: [],
  leftovers: [],
  sealedOnOpen: [],
  removedFiles: [],
};

function verifyReport(issues: VerifyIssue[] = [], ok = issues.length === 0): VerifyReport {
  return {
    ok,
    frames: 5,
    records: 5,
    unchainedRecords: 0,
    streams: [],
    firstIssue: issues[0],
    issues,
    issuesOmitted: 0,
    warnings: ok ? [] : ['signatures were not checked: no trusted public key given (--public-key)'],
  };
}

function check(records: ObservedRecord[], ledger: Ledger, extra: Partial<OracleInput> = {}): string[] {
  return checkWal({
    where: 'planted',
    ledger,
    observation: { records, recovery: NO_CORRUPTION, readDamage: [] },
    ...extra,
  });
}

describe('the torture oracle', () => {
  it('passes a consistent WAL (so that its failures mean something)', () => {
    const { ledger, records } = world();
    expect(check(records, ledger)).toEqual([]);
    expect(check(records, ledger, { observation: { records, verify: verifyReport() } })).toEqual([]);
  });

  it('detects a missing acknowledged record', () => {
    const { ledger, records } = world();
    const v = check(
      records.filter((r) => r.seq !== 3),
      ledger,
    );
    expect(v.join('\n')).toMatch(/acknowledged record 3 is lost/);
    expect(v.join('\n')).toMatch(/sequence numbers 3 are missing: a gap before 4/);
  });

  it('detects a changed byte in an acknowledged record', () => {
    const { ledger, records } = world();
    const changed = Buffer.from(records[2]?.payload as Uint8Array);
    changed[4] = (changed[4] as number) ^ 0x01;
    records[2] = { ...(records[2] as ObservedRecord), payload: changed };
    const v = check(records, ledger).join('\n');
    expect(v).toMatch(/acknowledged record 3 is not byte-exact: byte 4/);
    expect(v).toMatch(/record 3 .* is not whole/);
  });

  it('detects a record that appears twice (a duplicated append)', () => {
    const { ledger, records } = world();
    records.push({ seq: 6, type: FrameType.RECORD, timeUnixNano: 6n, payload: payload(1) });
    expect(check(records, ledger).join('\n')).toMatch(/append #1 appears twice, at 2 and 6/);
  });

  it('detects a sequence number that appears twice', () => {
    const { ledger, records } = world();
    records.splice(3, 0, records[2] as ObservedRecord);
    expect(check(records, ledger).join('\n')).toMatch(/sequence number 3 appears twice/);
  });

  it('detects records out of call order', () => {
    const { ledger, records } = world();
    // The WAL holds append #2 at seq 2 and append #1 at seq 3: same seqs, swapped contents.
    const swapped = records.map((r) =>
      r.seq === 2 ? { ...r, payload: payload(2) } : r.seq === 3 ? { ...r, payload: payload(1) } : r,
    );
    const v = check(swapped, ledger).join('\n');
    expect(v).toMatch(/records out of order: 3 holds append #1, called before append #2 at 2/);
    expect(v).toMatch(/acknowledged record 2 is not byte-exact/);
  });

  it('detects bytes no append ever had (a torn record that passed the CRC)', () => {
    const { ledger, records } = world();
    records.push({ seq: 6, type: FrameType.RECORD, timeUnixNano: 6n, payload: Buffer.from('garbage') });
    expect(check(records, ledger).join('\n')).toMatch(/record 6 \(7 bytes\) is not whole/);
  });

  it('accepts an unacknowledged record that is whole, and checks only writer frame types', () => {
    const { ledger, records } = world();
    ledger.attempt(payload(5)); // attempted, never acknowledged
    records.push({ seq: 6, type: FrameType.RECORD, timeUnixNano: 6n, payload: payload(5) });
    records.push({ seq: 7, type: FrameType.CHECKPOINT, timeUnixNano: 7n, payload: Buffer.from('{}') });
    expect(check(records, ledger)).toEqual([]);
  });

  it('reports corruption nobody injected, and damage the reader met', () => {
    const { ledger, records } = world();
    const recovery: RecoveryReport = {
      ...NO_CORRUPTION,
      corruptions: [
        {
          segment: '00000000000000000001.wal',
          kind: 'bad-frame',
          offsetFrom: 96,
          offsetTo: 200,
          seqFrom: 1,
          seqTo: 1,
          quarantinedAs: undefined,
        },
      ],
    };
    const v = checkWal({
      where: 'planted',
      ledger,
      observation: { records, recovery, readDamage: ['00000000000000000001.wal at offset 96: crc'] },
    }).join('\n');
    expect(v).toMatch(
      /recovery reports corruption \(bad-frame .* seqs 1..1\) although no damage was injected/,
    );
    expect(v).toMatch(/reading met damage although none was injected/);
  });

  it('allows injected damage to lose records, but only those, and requires them to be named', () => {
    const { ledger, records } = world();
    const damage: InjectedDamage = { mayLose: new Set([2, 3]), mustReport: new Set([2, 3]) };
    const survivors = records.filter((r) => r.seq !== 2 && r.seq !== 3);
    const named: RecoveryReport = {
      ...NO_CORRUPTION,
      corruptions: [
        {
          segment: 's',
          kind: 'bad-frame',
          offsetFrom: 1,
          offsetTo: 2,
          seqFrom: 2,
          seqTo: 3,
          quarantinedAs: undefined,
        },
      ],
    };
    const bitRot = (from: number, to: number): VerifyIssue => ({
      kind: 'bit-rot',
      seq: from,
      chainNumber: undefined,
      streamId: undefined,
      message: `s: bad-frame at offset 1; WAL sequence numbers ${from}..${to} affected`,
    });
    const input = (recovery: RecoveryReport, verify: VerifyReport): OracleInput => ({
      where: 'planted',
      ledger,
      observation: { records: survivors, recovery, verify },
      damage,
    });
    expect(checkWal(input(named, verifyReport([bitRot(2, 3)], false)))).toEqual([]);
    // Not named by recovery, nor by verify:
    const silent = checkWal(input(NO_CORRUPTION, verifyReport())).join('\n');
    expect(silent).toMatch(/recovery does not name damaged records 2..3/);
    expect(silent).toMatch(/verify does not detect the damage to records 2..3/);
    // Named too widely:
    const wide = checkWal(
      input(
        { ...named, corruptions: named.corruptions.map((c) => ({ ...c, seqTo: 4 })) },
        verifyReport([bitRot(2, 4)], false),
      ),
    ).join('\n');
    expect(wide).toMatch(/recovery reports record 4 as damaged, but the injected damage did not touch it/);
    expect(wide).toMatch(/verify reports damage at record 4, which the injected damage did not touch/);
    // A record the damage did not hit must still be there:
    const lostMore = checkWal({
      ...input(named, verifyReport([bitRot(2, 3)], false)),
      observation: { records: survivors.filter((r) => r.seq !== 5), recovery: named },
    }).join('\n');
    expect(lostMore).toMatch(/acknowledged record 5 is lost/);
  });

  it("takes verify's records-lost for records lost at or below the high-water mark, and only there", () => {
    const { ledger, records } = world();
    // Records 3..5 cut off the end of the WAL, 3..4 at or below the mark 4 (5 above it may be lost).
    const survivors = records.filter((r) => r.seq < 3);
    const recovery: RecoveryReport = {
      ...NO_CORRUPTION,
      corruptions: [
        {
          segment: 's',
          kind: 'lost-tail',
          offsetFrom: undefined,
          offsetTo: undefined,
          seqFrom: 3,
          seqTo: 4,
          quarantinedAs: undefined,
        },
      ],
    };
    const recordsLost = (from: number, to: number): VerifyIssue => ({
      kind: 'records-lost',
      seq: from,
      chainNumber: undefined,
      streamId: undefined,
      message: `s: WAL sequence numbers ${from}..${to} were durable (at or below the WAL's high-water mark) and are missing or damaged: acknowledged records lost at the end of the WAL`,
    });
    const below: InjectedDamage = {
      mayLose: new Set([3, 4, 5]),
      mustReport: new Set([3, 4]),
      lostBelowMark: 4,
    };
    const input = (damage: InjectedDamage, issues: VerifyIssue[]): OracleInput => ({
      where: 'planted',
      ledger,
      observation: { records: survivors, recovery, verify: verifyReport(issues, false) },
      damage,
    });
    expect(checkWal(input(below, [recordsLost(3, 4)]))).toEqual([]);
    // Not below a mark: records-lost is neither the detection nor an explained finding.
    const noMark: InjectedDamage = { mayLose: below.mayLose, mustReport: below.mustReport };
    const v = checkWal(input(noMark, [recordsLost(3, 4)])).join('\n');
    expect(v).toMatch(/verify does not detect the damage to records 3..4/);
    expect(v).toMatch(/verify: records-lost at WAL seq 3/);
    // A range reaching past the mark is not explained either (nor counted as naming the damage).
    const past = checkWal(input(below, [recordsLost(3, 5)])).join('\n');
    expect(past).toMatch(/verify does not detect the damage to records 3..4/);
    expect(past).toMatch(/verify: records-lost at WAL seq 3/);
    // Named below the mark, but over records the damage did not touch:
    const wide = checkWal(
      input({ ...below, mayLose: new Set([4, 5]), mustReport: new Set([4]) }, [recordsLost(3, 4)]),
    );
    expect(wide.join('\n')).toMatch(
      /verify reports damage at record 3, which the injected damage did not touch/,
    );
    // An unreadable mark file ("cannot be told", no range) is never explained by damage to segments.
    const unreadable: VerifyIssue = {
      ...recordsLost(3, 4),
      seq: undefined,
      message:
        'high-water-mark: the high-water-mark file is unreadable: whether acknowledged records are missing at the end of the WAL cannot be told',
    };
    expect(checkWal(input(below, [recordsLost(3, 4), unreadable])).join('\n')).toMatch(
      /verify: records-lost at WAL seq \?/,
    );
  });

  it('reports verify findings that injected damage does not explain, and unchecked signatures', () => {
    const { ledger, records } = world();
    const insertion: VerifyIssue = {
      kind: 'insertion',
      seq: 4,
      chainNumber: 4,
      streamId: 's',
      message: 'record 4 of stream s appears again after record 4',
    };
    const v = check(records, ledger, { observation: { records, verify: verifyReport([insertion], false) } });
    expect(v.join('\n')).toMatch(/verify: insertion at WAL seq 4/);
    const unchecked = check(records, ledger, { observation: { records, verify: verifyReport([], false) } });
    expect(unchecked.join('\n')).toMatch(/verify did not check the signatures/);
  });

  it('reports a WAL that does not reopen', () => {
    const { ledger } = world();
    const v = checkWal({ where: 'planted', ledger, observation: { openError: 'WAL_IO: boom', records: [] } });
    expect(v).toEqual(['planted: the WAL did not reopen: WAL_IO: boom']);
  });

  it('compacts sequence ranges', () => {
    expect(range([5, 1, 2, 3, 9, 10])).toBe('1..3, 5, 9..10');
  });
});

describe('the oracle through the real WAL', () => {
  it('finds an acknowledged record removed from the simulated disk behind the writer', async () => {
    const h = new SimWalHarness({
      seed: 7,
      chained: false,
      wal: { segmentBytesMax: 8192, payloadBytesMax: 2048 },
    });
    expect(h.open()).toBeUndefined();
    await Promise.all(h.append(12));
    await h.close();
    expect(h.check('clean')).toEqual([]);
    await h.close();
    // Cut the only segment in the middle of its records: acknowledged records vanish. The WAL's high-water
    // mark makes the open itself refuse (WAL_CORRUPT); without the mark (a WAL from before it), the WAL opens
    // and only the oracle can tell.
    const seg = h.disk.listFiles().find((f) => f.endsWith('.wal')) as string;
    h.disk.truncateFile(seg, 96 + 300);
    expect(h.check('after a truncation nobody declared').join('\n')).toMatch(
      /did not reopen: WAL_CORRUPT: .*records 1\.\.12 are missing/,
    );
    h.disk.removeFileDurably(`${h.dir}/high-water-mark`);
    const v = h.check('after a truncation nobody declared, without a mark').join('\n');
    expect(v).toMatch(/acknowledged records? [\d.]+.* (is|are) lost/);
  });

  it("counts the faults the disk really raised, not those only armed, nor a dead disk's EIO", async () => {
    const h = new SimWalHarness({
      seed: 3,
      chained: false,
      // Not preallocated: every append grows the file, so a full disk refuses it.
      wal: { segmentBytesMax: 8192, payloadBytesMax: 2048, preallocate: 'off' },
    });
    expect(h.open()).toBeUndefined();
    h.disk.setCapacityBytes(h.disk.usedBytes + 1_000_000);
    h.disk.failNextSync('EIO', 1000);
    h.disk.clearFaults();
    await Promise.all(h.append(4));
    expect([h.diskErrorCount('ENOSPC'), h.diskErrorCount('EIO')]).toEqual([0, 0]);
    h.disk.setCapacityBytes(h.disk.usedBytes);
    await Promise.all([...h.append(4), h.batch(3)]);
    await h.settle();
    expect(h.diskErrorCount('ENOSPC')).toBeGreaterThan(0);
    h.disk.setCapacityBytes(undefined);
    h.disk.failNextSync('EIO', 1);
    await Promise.all(h.append(2));
    expect(h.diskErrorCount('EIO')).toBe(1);
    const pending = h.append(3);
    h.crash('lose', 1);
    await Promise.all(pending);
    await h.settle();
    expect(h.diskErrorCount('EIO')).toBe(1);
  });
});
