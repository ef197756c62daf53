/**
 * Damage only in a sealed segment's footer or trailer, every frame intact:
 * no record is lost (a writer's open walks the segment and seals it again),
 * but it is bit rot — "a bad header or footer" (DAMAGE_KIND_HELP, cli.md,
 * integrity.md §8.2) — and `verify` succeeds only when everything is intact.
 * It reports `bit-rot` with no WAL seq (no record is bad), naming the
 * segment, after the segment's last record; exit 3, human and --json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrames, writeFrames } from '../../../test/helpers/walTamper.ts';
import { runCli } from '../../cli/testutil/runCli.ts';
import { decodeTrailer, FRAME_HEADER_BYTES, TRAILER_BYTES } from '../../wal/format.ts';
import { editFooter } from '../../wal/testutil/editFooter.ts';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { Wal } from '../../wal/Wal.ts';
import { writeUnsignedStream } from './testutil/unsignedStream.ts';
import { verifyWal } from './verifyWal.ts';
import { verifyWalParallel } from './verifyWalParallel.ts';

const tmp = makeTempDir('otel-audit-footer-damage-');
afterAll(() => tmp.cleanup());
let original = '';
let segments: string[] = [];
/** The same frames with an index entry every 512 bytes (several a segment). */
let indexed = '';
let copies = 0;
const RECORDS = 60;

/** One chain of 60 records and its checkpoint, rewritten into sealed 8 KiB segments. */
beforeAll(async () => {
  const written = path.join(tmp.dir, 'written');
  await writeUnsignedStream(written, 'footer', RECORDS);
  original = path.join(tmp.dir, 'original');
  await writeFrames(original, readFrames(written), { segmentBytesMax: 8 * 1024 });
  indexed = path.join(tmp.dir, 'indexed');
  const wal = Wal.open({
    dir: indexed,
    syncPolicy: 'none',
    preallocate: 'off',
    segmentBytesMax: 8 * 1024,
    payloadBytesMax: 2 * 1024,
    indexIntervalBytes: 512,
  });
  for (const f of readFrames(written))
    await wal.append(f.payload, { type: f.type, timeUnixNano: f.timeUnixNano });
  await wal.close();
  segments = segmentsOf(original);
});

/** The segment files of the WAL in `dir`, oldest first. */
function segmentsOf(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();
}

function copy(from = original): string {
  const dir = path.join(tmp.dir, `copy-${copies++}`);
  fs.cpSync(from, dir, { recursive: true });
  return dir;
}

/** Flips a byte of segment `name`'s FOOTER frame payload (its CRC then fails); returns the frame's offset. */
function flipFooterByte(dir: string, name: string): number {
  const file = path.join(dir, name);
  const b = fs.readFileSync(file);
  const at = decodeTrailer(b.subarray(b.length - TRAILER_BYTES));
  if (at === undefined) throw new Error(`${name} is not sealed`);
  const i = at + FRAME_HEADER_BYTES + 20;
  b[i] = (b[i] ?? 0) ^ 0x01;
  fs.writeFileSync(file, b);
  return at;
}

/** Flips a byte of segment `name`'s trailer (its magic then fails). */
function flipTrailerByte(dir: string, name: string): void {
  const file = path.join(dir, name);
  const b = fs.readFileSync(file);
  const i = b.length - 2;
  b[i] = (b[i] ?? 0) ^ 0x01;
  fs.writeFileSync(file, b);
}

/** The last WAL seq of segment `i` of the original: the next segment's first - 1. */
const lastSeqOf = (i: number): number => Number(/^0*(\d+)/.exec(segments[i + 1] as string)?.[1]) - 1;

describe('verify on damage only in a sealed segment footer or trailer (frames intact)', () => {
  it('the intact WAL verifies (the test would prove nothing otherwise)', () => {
    expect(segments.length).toBeGreaterThanOrEqual(3);
    expect(verifyWal({ dir: original })).toMatchObject({ ok: true, issues: [] });
  });

  it('a FOOTER frame that fails its CRC: bit-rot, no WAL seq, naming the segment, no records lost', async () => {
    const dir = copy();
    const at = flipFooterByte(dir, segments[1] as string);
    const report = verifyWal({ dir });
    expect(report).toMatchObject({
      ok: false,
      records: RECORDS,
      issues: [{ kind: 'bit-rot', seq: undefined }],
    });
    expect(report.firstIssue?.message).toBe(
      `${segments[1]}: bad footer at offset ${at} (the FOOTER frame the trailer points at is damaged (not a valid frame)); its frames are intact (through WAL seq ${lastSeqOf(1)}), no records lost`,
    );
    expect(await verifyWalParallel({ dir, workers: 2 })).toEqual(report);
  });

  it('a damaged trailer: bit-rot naming the segment', () => {
    const dir = copy();
    flipTrailerByte(dir, segments[0] as string);
    const report = verifyWal({ dir });
    expect(report).toMatchObject({
      ok: false,
      records: RECORDS,
      issues: [{ kind: 'bit-rot', seq: undefined }],
    });
    expect(report.firstIssue?.message).toMatch(
      new RegExp(`^${segments[0]}: bad footer at offset \\d+ \\(no valid trailer at the end of the file\\)`),
    );
  });

  it('a footer with a valid CRC whose time bounds lie, in the newest segment: bit-rot', () => {
    const dir = copy();
    const newest = segments[segments.length - 1] as string;
    editFooter(path.join(dir, newest), (f) => ({ ...f, maxTimeUnixNano: f.maxTimeUnixNano + 1n }));
    const report = verifyWal({ dir });
    expect(report).toMatchObject({ ok: false, issues: [{ kind: 'bit-rot', seq: undefined }] });
    expect(report.firstIssue?.message).toContain(`${newest}: bad footer at offset`);
    expect(report.firstIssue?.message).toContain('the footer says latest time');
  });

  it('a footer with a valid CRC whose record count alone lies: bit-rot (read-only opens walk such a segment)', () => {
    const dir = copy();
    editFooter(path.join(dir, segments[0] as string), (f) => ({ ...f, recordCount: f.recordCount + 1 }));
    const report = verifyWal({ dir });
    expect(report).toMatchObject({
      ok: false,
      records: RECORDS,
      issues: [{ kind: 'bit-rot', seq: undefined }],
    });
    expect(report.firstIssue?.message).toContain(`${segments[0]}: bad footer at offset`);
    expect(report.firstIssue?.message).toContain('the footer says record count');
  });

  it('an index block whose time bounds lie (found reading, not at open): bit-rot, also with workers', async () => {
    const dir = copy(indexed);
    const first = segmentsOf(dir)[0] as string;
    expect(verifyWal({ dir })).toMatchObject({ ok: true });
    editFooter(path.join(dir, first), (f) => ({
      ...f,
      index: f.index.map((e, i) => (i === 1 ? { ...e, maxTimeUnixNano: e.maxTimeUnixNano - 1n } : e)),
    }));
    const report = verifyWal({ dir });
    expect(report).toMatchObject({
      ok: false,
      records: RECORDS,
      issues: [{ kind: 'bit-rot', seq: undefined }],
    });
    expect(report.firstIssue?.message).toContain(`${first}: bad footer at offset`);
    expect(report.firstIssue?.message).toContain("the footer's index entry 1 has time bounds");
    expect(await verifyWalParallel({ dir, workers: 2 })).toEqual(report);
  });

  it('an index that does not start at the first frame (a time-range read would skip those): bit-rot', () => {
    const dir = copy(indexed);
    const first = segmentsOf(dir)[0] as string;
    expect(verifyWal({ dir })).toMatchObject({ ok: true });
    editFooter(path.join(dir, first), (f) => ({
      ...f,
      index: f.index.map((e, i) => (i === 0 ? (f.index[1] ?? e) : e)),
    }));
    const report = verifyWal({ dir });
    expect(report).toMatchObject({ ok: false, issues: [{ kind: 'bit-rot', seq: undefined }] });
    expect(report.firstIssue?.message).toContain(`${first}: bad footer at offset`);
  });

  it('is ordered after the records of its segment: damage in a later segment is not named first', () => {
    const dir = copy();
    const later = segments[segments.length - 2] as string; // not the newest, whose footer could be torn
    flipFooterByte(dir, later);
    editFooter(path.join(dir, segments[0] as string), (f) => ({
      ...f,
      maxTimeUnixNano: f.maxTimeUnixNano + 1n,
    }));
    const report = verifyWal({ dir });
    expect(report.issues.map((i) => i.message.slice(0, later.length))).toEqual([segments[0], later]);
  });

  it('the CLI: exit 3, human and --json', async () => {
    const dir = copy();
    flipFooterByte(dir, segments[1] as string);
    const human = await runCli(['verify', '--wal', dir]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain('FIRST BAD RECORD: WAL seq ?: bit-rot\n');
    expect(human.stdout).toContain(`  ${segments[1]}: bad footer at offset`);
    expect(human.stdout).toContain('result: DAMAGED (1 issue)');
    const json = await runCli(['verify', '--wal', dir, '--json']);
    expect(json.code).toBe(3);
    const parsed = JSON.parse(json.stdout) as {
      ok: boolean;
      firstIssue: { kind: string; seq: unknown; message: string };
    };
    expect(parsed.ok).toBe(false);
    expect(parsed.firstIssue).toMatchObject({ kind: 'bit-rot', seq: null });
    expect(parsed.firstIssue.message).toContain(`${segments[1]}: bad footer`);
  });

  it("a writer's open still works as before: nothing refused or lost, the segment sealed again, then intact", async () => {
    const dir = copy();
    flipFooterByte(dir, segments[1] as string);
    flipTrailerByte(dir, segments[0] as string);
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
    try {
      expect(wal.recovery.corruptions).toEqual([]);
      expect(wal.recovery.sealedOnOpen).toEqual([segments[0], segments[1]]);
    } finally {
      await wal.close();
    }
    expect(verifyWal({ dir })).toMatchObject({ ok: true, records: RECORDS });
  });
});
