/**
 * The chain exporter (audit_chain + audit_wal, through the service) over a WAL whose acknowledged records
 * are missing below its high-water mark (the newest segment lost; src/wal/HighWaterMark.ts,
 * docs/recovery.md §3a), with the default durable sync policy (with `sync_policy: none` the mark is not
 * a promise): the exporter refuses to start with a clear WAL_CORRUPT that names the operator's way out,
 * `accept_lost_records_through_seq`; once the loss is accepted the chain goes on, and `verify` reports
 * the loss as `records-lost`, not as a silent break of the chain.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config/resolve.ts';
import { verifyWal } from '../../src/integrity/verify/verifyWal.ts';
import { createFactoryRegistry } from '../../src/pipeline/registry.ts';
import { Service } from '../../src/pipeline/Service.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { Wal } from '../../src/wal/Wal.ts';
import { WalRecordsLostError } from '../../src/wal/WalRecordsLostError.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Logged {
  readonly warnings: string[];
  readonly errors: string[];
}

/** The service: audit_sdk → audit_chain → audit_wal in small segments, fdatasync (the default). */
function build(walDir: string, logged: Logged, acceptThroughSeq?: number): Service {
  const registry = createFactoryRegistry();
  const accept =
    acceptThroughSeq === undefined ? '' : `, accept_lost_records_through_seq: ${acceptThroughSeq}`;
  const config = resolveConfig(
    [
      {
        kind: 'yaml',
        text: `
receivers: { audit_sdk: }
processors:
  audit_chain: { stream_id: s, checkpoint_every_records: 5 }
exporters:
  audit_wal: { directory: ${JSON.stringify(walDir)}, segment_bytes_max: 4096, payload_bytes_max: 1024, preallocate: off${accept} }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [audit_chain], exporters: [audit_wal] }
`,
      },
    ],
    { catalog: registry.catalog },
  );
  const logger = {
    info: (): void => undefined,
    warn: (m: string): void => void logged.warnings.push(m),
    error: (m: string): void => void logged.errors.push(m),
  };
  return Service.build({ config, registry, logger });
}

/** Sends `count` records, one batch each, every one acknowledged (durable) before the next. */
async function send(service: Service, from: number, count: number): Promise<void> {
  const pipeline = service.pipelines.get('logs');
  if (pipeline === undefined) throw new Error('no logs pipeline');
  for (let i = from; i < from + count; i++) {
    await pipeline.consumeLogs({ records: [createAuditRecord({ body: `record ${i}`, timeUnixNano: 1n })] });
  }
}

const segments = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort();

interface LostTail {
  readonly walDir: string;
  readonly logged: Logged;
  /** The segments before the loss, the lost newest one last. */
  readonly segmentsBefore: readonly string[];
  /** WAL seqs firstLostSeq..lastSeq were durable (under the mark) and are gone. */
  readonly firstLostSeq: number;
  readonly lastSeq: number;
}

/**
 * 60 records through the service, acknowledged one by one (5 per checkpoint: 72 frames) over several
 * segments, a clean shutdown (the mark names the last seq); then the newest segment file is lost.
 */
async function lostNewestSegment(): Promise<LostTail> {
  const tmp = makeTempDir('otel-audit-chain-lost-');
  cleanups.push(tmp.cleanup);
  const walDir = path.join(tmp.dir, 'wal');
  const logged: Logged = { warnings: [], errors: [] };
  const service = build(walDir, logged);
  await service.start();
  await send(service, 0, 60);
  await service.shutdown(10_000);
  const before = verifyWal({ dir: walDir });
  expect(before.ok).toBe(true);
  expect(before.records).toBe(60);
  const segmentsBefore = segments(walDir);
  expect(segmentsBefore.length).toBeGreaterThan(2);
  const newest = segmentsBefore.at(-1) as string;
  fs.rmSync(path.join(walDir, newest));
  expect(logged).toEqual({ warnings: [], errors: [] });
  return {
    walDir,
    logged,
    segmentsBefore,
    firstLostSeq: Number(newest.slice(0, 20)),
    lastSeq: before.frames,
  };
}

/** The operator accepted the loss (`accept_lost_records_through_seq`): 12 more records, a clean shutdown. */
async function acceptedAndContinued(lost: LostTail): Promise<void> {
  const service = build(lost.walDir, lost.logged, lost.lastSeq);
  await service.start();
  await send(service, 60, 12);
  await service.shutdown(10_000);
}

describe('audit_chain + audit_wal over a WAL that lost records below its high-water mark', () => {
  it('the exporter refuses to start: WAL_CORRUPT naming the lost seqs and accept_lost_records_through_seq; the WAL is left as found', async () => {
    const lost = await lostNewestSegment();
    const service = build(lost.walDir, lost.logged);
    const error = await service.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await service.shutdown(10_000).catch(() => undefined);
    expect(error).toBeInstanceOf(WalRecordsLostError);
    expect(error).toMatchObject({
      code: 'WAL_CORRUPT',
      lost: {
        expectedLastSeq: lost.lastSeq,
        foundLastSeq: lost.firstLostSeq - 1,
        expectedSegmentPresent: false,
      },
    });
    const message = (error as Error).message;
    expect(message).toContain(`records ${lost.firstLostSeq}..${lost.lastSeq} are missing or damaged`);
    expect(message).toContain(`(audit_wal: accept_lost_records_through_seq: ${lost.lastSeq})`);
    expect(segments(lost.walDir)).toEqual(lost.segmentsBefore.slice(0, -1)); // nothing cut, sealed or removed
    expect(fs.readdirSync(lost.walDir)).not.toContain('quarantine');
  });

  it('with the loss accepted, the exporter starts, warns what it accepted, logs the loss, and the chain goes on', async () => {
    const lost = await lostNewestSegment();
    await acceptedAndContinued(lost);
    expect(lost.logged.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `records ${lost.firstLostSeq}\\.\\.${lost.lastSeq} below the high-water mark are missing: the loss was ACCEPTED`,
        ),
      ),
    ]);
    expect(lost.logged.errors).toContainEqual(
      expect.stringMatching(
        new RegExp(`corruption \\(lost-tail\\).*sequence numbers ${lost.firstLostSeq}\\.\\.${lost.lastSeq}`),
      ),
    );
    const report = verifyWal({ dir: lost.walDir });
    // 55 records survived (seqs 1..66), the lost 67..72 held records 56..60 and a checkpoint; 12 more.
    expect(report.records).toBe(55 + 12);
    expect(report.ok).toBe(false); // the loss is reported, whatever its kind (below)
    expect(report.issues.map((i) => i.seq)).toEqual([lost.firstLostSeq]);
  });

  // Was a defect (WalIntegrity.start): the WAL's accepted open reports the lost tail (records 56..60 of
  // stream s), but chain recovery read only what was left, found s intact up to 55 and continued it: the
  // new records took chain numbers 56..60 again, which acknowledged (maybe exported, maybe covered by a
  // checkpoint sent elsewhere) records had — a fork that verify cannot see (stream s verified with 67
  // records). A loss the WAL reports after the stream's last record now ends the stream: s-r<next seq>.
  it('with the loss accepted, the chain does not reuse the lost records’ numbers: a new stream', async () => {
    const lost = await lostNewestSegment();
    await acceptedAndContinued(lost);
    const next = `s-r${lost.lastSeq + 1}`;
    expect(lost.logged.errors).toContain(`audit_wal: chain s lost records; continuing as new stream ${next}`);
    expect(verifyWal({ dir: lost.walDir }).streams.map((s) => [s.streamId, s.records])).toEqual([
      ['s', 55],
      [next, 12],
    ]);
  });

  it('once the new stream exists, later starts keep it: the old loss (still reported by every open) starts no other', async () => {
    // Every later open still reports the old loss (a missing segment before the boundary): it lies before
    // the new stream's first seq (stream_first_seq), so it is not the new stream's.
    const lost = await lostNewestSegment();
    await acceptedAndContinued(lost);
    const next = `s-r${lost.lastSeq + 1}`;
    for (let round = 0; round < 2; round++) {
      const service = build(lost.walDir, lost.logged);
      await service.start();
      await send(service, 72 + round * 3, 3);
      await service.shutdown(10_000);
    }
    const newStreams = lost.logged.errors.filter((e) => e.includes('continuing as new stream'));
    expect(newStreams).toEqual([`audit_wal: chain s lost records; continuing as new stream ${next}`]);
    expect(verifyWal({ dir: lost.walDir }).streams.map((s) => [s.streamId, s.records])).toEqual([
      ['s', 55],
      [next, 18],
    ]);
  });

  it('the loss accepted by the WAL but the process gone before the chain started: the next start still takes a new stream', async () => {
    const lost = await lostNewestSegment();
    // The WAL's accepting open (it writes its boundary segment), then nothing more: as if the process died
    // before audit_chain wrote its new stream's files. The next start has no accept key and sees no loss
    // below the mark, only the old segment's damage, after the stream's last record.
    await Wal.open({ dir: lost.walDir, acceptLostRecordsThroughSeq: lost.lastSeq }).close();
    const service = build(lost.walDir, lost.logged);
    await service.start();
    await send(service, 60, 12);
    await service.shutdown(10_000);
    const streams = verifyWal({ dir: lost.walDir }).streams.map((s) => [s.streamId, s.records]);
    expect(streams).toHaveLength(2);
    expect(streams[0]).toEqual(['s', 55]);
    expect(streams[1]?.[0]).toMatch(/^s-r\d+$/);
    expect(streams[1]?.[1]).toBe(12);
    expect(lost.logged.errors.some((e) => e.includes(`chain s lost records; continuing as new stream`))).toBe(
      true,
    );
  });

  // Was a defect (src/integrity/verify): after the accepted open the WAL goes on past the lost seqs, so the
  // loss is no longer at its end: verify reported the gap (a missing segment, seqs 67..72) as `bit-rot`
  // ("a frame failed its CRC"), not as `records-lost` (durable records missing).
  it('with the loss accepted and the WAL gone on, verify names the gap records-lost', async () => {
    const lost = await lostNewestSegment();
    await acceptedAndContinued(lost);
    const report = verifyWal({ dir: lost.walDir });
    expect(report.issues.map((i) => [i.kind, i.seq])).toEqual([['records-lost', lost.firstLostSeq]]);
  });
});
