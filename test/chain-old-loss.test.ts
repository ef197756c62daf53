/**
 * audit_chain + audit_wal through the service after a loss the WAL reports at every open (the newest
 * segment lost, the loss accepted: later opens report it as a missing segment before the boundary). When
 * a later start reads a stream that has no record after that loss — its `stream_id` file removed (the
 * records after the loss are the stream that loss already started), or another `stream_id` configured —
 * a new stream is taken (right: the lost records may have been that stream's), but the exporter logged
 * it as a new loss: "chain s lost records; continuing as new stream s-r88".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { serviceOfYaml } from './helpers/serviceOfYaml.ts';

const tmp = makeTempDir('otel-audit-chain-old-loss-');
afterAll(() => tmp.cleanup());

/** Starts audit_sdk -> audit_chain (`streamId`) -> audit_wal, sends `count` records one by one, stops; its error lines. */
async function run(
  walDir: string,
  o: { streamId: string; from: number; count: number; acceptThroughSeq?: number },
): Promise<string[]> {
  const accept =
    o.acceptThroughSeq === undefined ? '' : `, accept_lost_records_through_seq: ${o.acceptThroughSeq}`;
  const errors: string[] = [];
  const service = serviceOfYaml(
    `
receivers: { audit_sdk: }
processors:
  audit_chain: { stream_id: ${o.streamId}, checkpoint_every_records: 5 }
exporters:
  audit_wal: { directory: ${JSON.stringify(walDir)}, segment_bytes_max: 4096, payload_bytes_max: 1024, preallocate: off${accept} }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [audit_chain], exporters: [audit_wal] }
`,
    { info: () => undefined, warn: () => undefined, error: (m) => void errors.push(m) },
  );
  await service.start();
  const pipeline = service.pipelines.get('logs');
  for (let i = o.from; i < o.from + o.count; i++)
    await pipeline?.consumeLogs({ records: [createAuditRecord({ body: `record ${i}`, timeUnixNano: 1n })] });
  await service.shutdown(10_000);
  return errors;
}

/** A WAL where stream `s` lost its newest segment and, the loss accepted, went on as `s-r<n>`. */
async function walWithAcceptedLoss(walDir: string): Promise<void> {
  await run(walDir, { streamId: 's', from: 0, count: 60 });
  const segments = fs
    .readdirSync(walDir)
    .filter((f) => f.endsWith('.wal'))
    .sort();
  fs.rmSync(path.join(walDir, segments.at(-1) as string));
  await run(walDir, { streamId: 's', from: 60, count: 12, acceptThroughSeq: 1_000 }); // s-r<n> starts
}

describe('a new stream taken over an earlier loss the WAL reports', () => {
  it('another stream_id configured: both lines say the stream has no record in the WAL', async () => {
    const walDir = path.join(tmp.dir, 'wal-t');
    await walWithAcceptedLoss(walDir);
    fs.rmSync(path.join(walDir, 'stream_id'));
    const errors = await run(walDir, { streamId: 't', from: 72, count: 3 });
    const all = errors.join('\n');
    expect(all).toMatch(/^audit_wal: chain t has no record in the WAL, but the WAL lost seqs /m);
    expect(all).toMatch(/^audit_wal: chain t has no record in the WAL, which lost seqs /m);
    expect(all).not.toMatch(/resumes after WAL seq|lost records; continuing/);
  });

  it('says the loss is an earlier one, not that the stream just lost records', async () => {
    const walDir = path.join(tmp.dir, 'wal');
    await walWithAcceptedLoss(walDir);
    const [first, second] = verifyWal({ dir: walDir }).streams;
    expect(first?.streamId).toBe('s');
    const started = second?.streamId ?? '';
    expect(started).toMatch(/^s-r\d+$/);

    fs.rmSync(path.join(walDir, 'stream_id'));
    const errors = await run(walDir, { streamId: 's', from: 72, count: 3 });
    const line = errors.find((e) => e.includes('new stream'));
    expect(line).toMatch(
      /^audit_wal: chain s ends at WAL seq \d+, before seqs \d+\.\.\d+ \(missing-segment\) the WAL lost earlier \(frames \d+\.\.\d+ after it are not of this stream\): not a new loss, but records of s may have been among them; continuing as new stream s-r\d+$/,
    );
  });
});
