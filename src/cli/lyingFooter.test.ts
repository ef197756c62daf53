/**
 * replay, prove and reidentify over a WAL whose sealed segment has a footer
 * that lies but is self-consistent (CRC recomputed, so only the frames
 * disagree): it ends a few records early, as if they were not there. The WAL
 * is opened with `verify: 'tail'`, which checks a sealed segment against its
 * footer as it reads it, reports a mismatch and reads on frame by frame, so
 * every record is still read and the damage is reported. (Trusting the footer
 * alone, these readers skipped the records it leaves out.)
 */
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeChainedWal } from '../integrity/proof/testutil/chainedWal.ts';
import { generateKeyPair } from '../integrity/sign/generateKeyPair.ts';
import { loadSecretKey } from '../privacy/KeyProvider.ts';
import { deriveReversalKey, pseudonymToken } from '../privacy/pseudonym.ts';
import { randomSecretKey, writeKeyFile } from '../privacy/testutil/keys.ts';
import { createAuditRecord, type AuditRecord } from '../record/AuditRecord.ts';
import { FrameType } from '../wal/format.ts';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { editFooter } from '../wal/testutil/editFooter.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { runCli, writeWal } from './testutil/runCli.ts';

const tmp = makeTempDir('otel-audit-lying-footer-');
afterAll(() => tmp.cleanup());

const segmentsOf = (dir: string): string[] =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();

/** Rewrites segment `name`'s footer (valid CRC) to end `by` frames early; returns its true last seq. */
function footerEndsEarly(dir: string, name: string, by: number): number {
  let trueLast = 0;
  editFooter(path.join(dir, name), (f) => {
    trueLast = f.lastSeq;
    return { ...f, lastSeq: f.lastSeq - by, recordCount: f.recordCount - by };
  });
  return trueLast;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

const seqsOf = (stdout: string): number[] =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { seq: number }).seq);

const MISMATCH = 'the segment is not what its footer vouches for';

describe('replay over a sealed segment whose footer ends early', () => {
  const records = (count: number): AuditRecord[] =>
    Array.from({ length: count }, (_, i) => createAuditRecord({ body: `event ${i} ${'x'.repeat(200)}` }));

  async function lyingWal(
    name: string,
    segment: (segments: string[]) => string,
  ): Promise<{
    dir: string;
    segment: string;
    trueLast: number;
  }> {
    const dir = path.join(tmp.dir, name);
    await writeWal(dir, records(40), { segmentBytesMax: 4096, batchRecords: 1 });
    const segments = segmentsOf(dir);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const chosen = segment(segments);
    return { dir, segment: chosen, trueLast: footerEndsEarly(dir, chosen, 3) };
  }

  it('an older segment: every record printed, the footer reported at open naming the segment, exit 3', async () => {
    const w = await lyingWal('replay-older', (s) => s[1] as string);
    const r = await runCli(['replay', '--wal', w.dir]);
    expect(seqsOf(r.stdout)).toEqual(range(1, 40));
    expect(r.code).toBe(3);
    // The gap its last number leaves before the next segment makes the open walk it: no records are missing.
    expect(r.stderr).toMatch(
      new RegExp(
        `corruption: ${w.segment} at offset \\d+ \\(bad-footer: the footer says last WAL seq ${w.trueLast - 3}, the frames ${w.trueLast}\\)`,
      ),
    );
    expect(r.stderr).not.toContain('missing-segment');
    // Only what the footer hides, selected: still found.
    const hidden = await runCli([
      'replay',
      '--wal',
      w.dir,
      '--from-seq',
      String(w.trueLast - 2),
      '--to-seq',
      String(w.trueLast),
    ]);
    expect(seqsOf(hidden.stdout)).toEqual(range(w.trueLast - 2, w.trueLast));
    expect(hidden.code).toBe(3);
  });

  it('the newest segment: every record printed, reported, exit 3', async () => {
    const w = await lyingWal('replay-newest', (s) => s[s.length - 1] as string);
    expect(w.trueLast).toBe(40);
    const r = await runCli(['replay', '--wal', w.dir]);
    expect(seqsOf(r.stdout)).toEqual(range(1, 40));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`damage: ${w.segment} at offset`);
    const tail = await runCli(['replay', '--wal', w.dir, '--from-seq', '38']);
    expect(seqsOf(tail.stdout)).toEqual([38, 39, 40]);
    expect(tail.code).toBe(3);
  });
});

describe('prove over a sealed segment whose footer ends early', () => {
  const keys = generateKeyPair('EdDSA');
  const dir = path.join(tmp.dir, 'prove-wal');
  const auditor = path.join(tmp.dir, 'prove-auditor');
  /** The same WAL, the first segment's footer lying about its latest time instead (found while reading). */
  const timeLie = path.join(tmp.dir, 'prove-wal-time');
  let segment = '';
  /** WAL seq of a record frame that the lying footer leaves out. */
  let hiddenRecordSeq = 0;

  beforeAll(async () => {
    mkdirSync(auditor);
    const keyFile = path.join(tmp.dir, 'signing.pem');
    writeFileSync(keyFile, keys.privateKeyPem);
    writeFileSync(path.join(auditor, 'public.pem'), keys.publicKeyPem);
    // Two runs, so two sealed segments: checkpoints every 5 records and at each shutdown.
    await writeChainedWal({
      walDir: dir,
      privateKeyFile: keyFile,
      streamId: 's',
      checkpointEveryRecords: 5,
      runs: [12, 8],
    });
    const segments = segmentsOf(dir);
    expect(segments.length).toBe(2);
    segment = segments[0] as string;
    const frames = [...openWalReadOnly({ dir, verify: 'full' }).reader.records()];
    const second = Number(/^0*(\d+)/.exec(segments[1] as string)?.[1]);
    // The first segment's last record frame, and how many frames after it (checkpoints) the lie must hide too.
    const inFirst = frames.filter((f) => f.seq < second);
    const lastRecord = inFirst.filter((f) => f.type === FrameType.RECORD).at(-1);
    if (lastRecord === undefined) throw new Error('no record in the first segment');
    hiddenRecordSeq = lastRecord.seq;
    cpSync(dir, timeLie, { recursive: true });
    footerEndsEarly(dir, segment, second - lastRecord.seq);
    editFooter(path.join(timeLie, segment), (f) => ({ ...f, maxTimeUnixNano: f.maxTimeUnixNano - 1n }));
  });

  it('--seq of a record the footer leaves out: the proof is written, verify-proof accepts it, the mismatch noticed', async () => {
    const p = await runCli(
      ['prove', '--wal', dir, '--seq', String(hiddenRecordSeq), '--out', 'hidden.json'],
      { cwd: auditor },
    );
    // Its last number leaves a gap before the next segment: walked at open, the footer reported.
    expect(p.stderr).toContain(`notice: ${segment} at offset`);
    expect(p.stderr).toContain('bad footer (the footer says last WAL seq');
    expect(p.code).toBe(0);
    const v = await runCli(['verify-proof', 'hidden.json', '--public-key', 'public.pem'], { cwd: auditor });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^VALID inclusion proof\n/);
  });

  it('a footer lie found while reading (time bounds): proven, the mismatch noticed', async () => {
    const p = await runCli(['prove', '--wal', timeLie, '--record', '20', '--out', 'time.json'], {
      cwd: auditor,
    });
    expect(p.code).toBe(0);
    expect(p.stderr).toContain(`notice: ${segment} at offset`);
    expect(p.stderr).toContain("the footer's time bounds");
    expect(p.stderr).toContain(MISMATCH);
  });

  it("--record of a later record (the pass reads past the footer's lie): proven", async () => {
    const p = await runCli(['prove', '--wal', dir, '--record', '20', '--out', 'later.json'], {
      cwd: auditor,
    });
    expect(p.code).toBe(0);
    const v = await runCli(['verify-proof', 'later.json', '--public-key', 'public.pem'], { cwd: auditor });
    expect(v.code).toBe(0);
  });
});

describe('reidentify --wal over a sealed segment whose footer ends early', () => {
  it('the record the footer leaves out is still found: its token recovered, the damage reported, exit 3', async () => {
    const reversalFile = writeKeyFile(tmp.dir, 'reversal.key');
    const reversal = deriveReversalKey(loadSecretKey({ file: reversalFile }));
    const pseudonymKey = randomSecretKey();
    const dir = path.join(tmp.dir, 'reidentify-wal');
    const records = Array.from({ length: 40 }, (_, i) =>
      createAuditRecord({
        attributes: [{ key: 'user.email', value: pseudonymToken(`user${i + 1}@x`, pseudonymKey, reversal) }],
        body: 'y'.repeat(100),
      }),
    );
    await writeWal(dir, records, { segmentBytesMax: 4096, batchRecords: 1 });
    // The newest: its footer is trusted at open (no high-water mark to contradict it), checked while read.
    const segment = segmentsOf(dir).at(-1) as string;
    const trueLast = footerEndsEarly(dir, segment, 2);
    expect(trueLast).toBe(40);
    const r = await runCli(['reidentify', '--key', reversalFile, '--wal', dir, '--seq', String(trueLast)]);
    expect(r.stdout).toContain(`"value":{"stringValue":"user${trueLast}@x"}`);
    expect(r.stderr).toContain(`damage: ${segment} at offset`);
    expect(r.stderr).toContain(MISMATCH);
    expect(r.code).toBe(3);
  });
});
