import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { hostileRecordPayload } from '../../src/integrity/verify/testutil/hostilePayload.ts';
import { recoverChain } from '../../src/integrity/chain/recoverChain.ts';
import { verifyWal } from '../../src/integrity/verify/verifyWal.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { encodeRecord } from '../../src/record/walCodec.ts';
import { SimDisk } from '../../src/wal/fs/SimDisk.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { Wal } from '../../src/wal/Wal.ts';
import { WalIntegrity } from './WalIntegrity.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const silent = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

/**
 * A chained and signed (checkpoints published to a temp dir, one per record) WAL in small segments
 * (4 KiB), in a temp dir removed after the test; `errors` collects what the logger reports as errors.
 */
function chainPublishingToTemp(name: string) {
  const dir = makeTempDir(`otel-audit-integrity-${name}-`);
  const publish = makeTempDir(`otel-audit-publish-${name}-`);
  cleanups.push(dir.cleanup, publish.cleanup);
  const walOptions = {
    dir: dir.dir,
    syncPolicy: 'none' as const,
    preallocate: 'off' as const,
    segmentBytesMax: 4096,
    payloadBytesMax: 1024,
  };
  const stages = [
    {
      kind: 'chain' as const,
      config: { streamId: 's', checkpointEveryRecords: 1, checkpointEveryMs: 3_600_000 },
    },
    {
      kind: 'sign' as const,
      config: {
        algorithm: 'test',
        loadKey: () => ({ algorithm: 'test', keyId: 'k', sign: () => new Uint8Array(8) }),
        perRecord: false,
        publishDir: publish.dir,
      },
    },
  ];
  const errors: string[] = [];
  const logger = { ...silent, error: (m: string): void => void errors.push(m) };
  return { dir, publish, walOptions, stages, errors, logger };
}

describe('WalIntegrity', () => {
  it('publishes a checkpoint only once the batch that wrote it is durable', async () => {
    const publish = makeTempDir('otel-audit-publish-');
    cleanups.push(publish.cleanup);
    const disk = new SimDisk(1);
    disk.setSyncDelayMs(5);
    const wal = Wal.open({
      dir: '/w',
      fs: disk,
      segmentBytesMax: 1 << 20,
      payloadBytesMax: 64 * 1024,
      preallocate: 'off',
    });
    const integrity = new WalIntegrity(
      [
        { kind: 'chain', config: { streamId: 's', checkpointEveryRecords: 1, checkpointEveryMs: 3_600_000 } },
        {
          kind: 'sign',
          config: {
            algorithm: 'test',
            loadKey: () => ({ algorithm: 'test', keyId: 'k', sign: () => new Uint8Array(8) }),
            perRecord: false,
            publishDir: publish.dir,
          },
        },
      ],
      'audit_wal',
      silent,
    );
    integrity.start(wal);
    const append = (body: string): Promise<number> =>
      wal.appendDeferred([integrity.deferred(createAuditRecord({ body, timeUnixNano: 1n }), 1n)]);
    // Batch 1 (record 1 and the checkpoint of tree size 1) is syncing; record 2 waits for the next batch,
    // which is built as soon as batch 1 is durable and whose sync fails.
    const first = append('one').then(() => integrity.publish());
    await new Promise((r) => setImmediate(r));
    const second = append('two');
    disk.failNextSync('EIO');
    await first;
    await expect(second).rejects.toMatchObject({ code: 'WAL_SYNC_FAILED' });
    integrity.publish();
    expect(fs.readdirSync(publish.dir)).toEqual([`s-${String(1).padStart(20, '0')}.json`]);
    await integrity.stop(wal);
    await wal.close();
  });

  it('refuses a record that would exceed payloadBytesMax once chained, before it joins a batch', async () => {
    const payloadBytesMax = 4096;
    const wal = Wal.open({
      dir: '/w',
      fs: new SimDisk(2),
      segmentBytesMax: 1 << 20,
      payloadBytesMax,
      preallocate: 'off',
    });
    const integrity = new WalIntegrity(
      [
        {
          kind: 'chain',
          config: { streamId: 's', checkpointEveryRecords: 1000, checkpointEveryMs: 3_600_000 },
        },
      ],
      'audit_wal',
      silent,
    );
    integrity.start(wal);
    const sizes = [100, 3000, 3700, 3900, 4000, 4096, 10_000];
    const outcomes: string[] = [];
    for (const n of sizes) {
      const record = createAuditRecord({ body: 'x'.repeat(n), timeUnixNano: 1n });
      try {
        await wal.appendDeferred([integrity.deferred(record, 1n)]);
        outcomes.push('ok');
      } catch (err) {
        expect(err).toMatchObject({ code: 'WAL_PAYLOAD_TOO_LARGE' });
        outcomes.push('refused');
      }
    }
    // Small ones pass, the largest are refused up front, and everything accepted reads back.
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ok']);
    expect(outcomes.slice(-2)).toEqual(['refused', 'refused']);
    const written = [...wal.read()].filter((r) => r.type === 1);
    expect(written.length).toBe(outcomes.filter((o) => o === 'ok').length);
    for (const r of written) expect(r.payload.length).toBeLessThanOrEqual(payloadBytesMax);
    await integrity.stop(wal);
    await wal.close();
  });

  it('at start, a legitimate record past the default element budget does not break the chain (budget follows payload_bytes_max)', async () => {
    const dir = makeTempDir('otel-audit-integrity-big-');
    cleanups.push(dir.cleanup);
    const walOptions = {
      dir: dir.dir,
      syncPolicy: 'none' as const,
      preallocate: 'off' as const,
      payloadBytesMax: 8 << 20,
    };
    const chain = { streamId: 's', checkpointEveryRecords: 1000, checkpointEveryMs: 3_600_000 };
    const errors: string[] = [];
    const logger = { ...silent, error: (m: string): void => void errors.push(m) };
    const wal = Wal.open(walOptions);
    const integrity = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', logger);
    integrity.start(wal);
    // An array body of 2,200,000 empty values: ~4.4 MB stored, more elements than the 2,097,152 default.
    const big = createAuditRecord({ body: new Array<null>(2_200_000).fill(null), timeUnixNano: 1n });
    await wal.appendDeferred([integrity.deferred(big, 1n)]);
    await wal.close(); // as after a crash: no final checkpoint covers it, so recovery must decode it

    const again = Wal.open(walOptions);
    const resumed = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', logger);
    resumed.start(again);
    expect(errors).toEqual([]);
    expect(resumed.sequencer.chain.streamId).toBe('s');
    expect(resumed.sequencer.chain.size).toBe(1);
    await resumed.stop(again);
    await again.close();
  });

  it('records lost at the end of the WAL that a published checkpoint covered start a new stream, not a fork', async () => {
    // Small segments: the records span several, and the newest segment file is then lost.
    const { dir, walOptions, stages, errors, logger } = chainPublishingToTemp('lost');
    const wal = Wal.open(walOptions);
    const integrity = new WalIntegrity(stages, 'audit_wal', logger);
    integrity.start(wal);
    for (let i = 0; i < 30; i++) {
      await wal.appendDeferred([
        integrity.deferred(createAuditRecord({ body: `r${i}`, timeUnixNano: 1n }), 1n),
      ]);
      integrity.publish();
    }
    await integrity.stop(wal);
    await wal.close();
    const segments = fs
      .readdirSync(dir.dir)
      .filter((n) => n.endsWith('.wal'))
      .sort();
    expect(segments.length).toBeGreaterThan(2);
    fs.rmSync(path.join(dir.dir, segments.at(-1) as string)); // the newest segment file is lost

    const again = Wal.open(walOptions);
    const resumed = new WalIntegrity(stages, 'audit_wal', logger);
    resumed.start(again);
    try {
      const kept = resumed.sequencer.chain;
      expect(kept.streamId).not.toBe('s'); // continuing 's' would give new records published numbers
      expect(kept.streamId).toMatch(/^s-r\d+$/);
      expect(kept.size).toBe(0);
      expect(errors.some((e) => /a checkpoint of \d+ was published: records were lost/.test(e))).toBe(true);
    } finally {
      await resumed.stop(again);
      await again.close();
    }
  });

  it('a new stream whose every record was lost, the WAL back at its first seq, is not continued when a checkpoint of it was published', async () => {
    const { dir, publish, walOptions, stages, logger } = chainPublishingToTemp('lost-new');
    const segmentFiles = (): string[] => fs.readdirSync(dir.dir).filter((n) => n.endsWith('.wal'));
    // 's', then an undecodable last frame: the next start continues as the new stream s-r<seq>.
    const first = Wal.open(walOptions);
    const chained = new WalIntegrity(stages, 'audit_wal', logger);
    chained.start(first);
    await first.appendDeferred([chained.deferred(createAuditRecord({ body: 'a', timeUnixNano: 1n }), 1n)]);
    chained.publish();
    await chained.stop(first);
    await first.append(Uint8Array.of(0x7f, 1, 2, 3));
    await first.close();
    const before = new Set(segmentFiles());

    const second = Wal.open(walOptions);
    const renamed = new WalIntegrity(stages, 'audit_wal', logger);
    renamed.start(second);
    const streamId = renamed.sequencer.chain.streamId;
    expect(streamId).toMatch(/^s-r\d+$/);
    for (let i = 0; i < 20; i++) {
      await second.appendDeferred([
        renamed.deferred(createAuditRecord({ body: `r${i}`, timeUnixNano: 1n }), 1n),
      ]);
      renamed.publish();
    }
    await renamed.stop(second);
    await second.close();
    expect(fs.readdirSync(publish.dir).some((n) => n.startsWith(`${streamId}-`))).toBe(true);
    // Every segment written since is lost: the WAL's next seq is again the one in the new stream's name.
    const lost = segmentFiles().filter((n) => !before.has(n));
    expect(lost.length).toBeGreaterThan(0);
    for (const n of lost) fs.rmSync(path.join(dir.dir, n));

    const third = Wal.open(walOptions);
    const resumed = new WalIntegrity(stages, 'audit_wal', logger);
    let started: unknown;
    try {
      resumed.start(third);
      started = resumed.sequencer.chain.streamId;
    } catch (err) {
      started = err;
    } finally {
      await resumed.stop(third);
      await third.close();
    }
    // Continuing it would give new records the published numbers 1, 2, ... again: a fork.
    expect(started).not.toBe(streamId);
    expect(started).toMatchObject({ code: 'WAL_CORRUPT' });
  });

  it('an undecodable last frame starts one new stream, not one per restart; verify names it once', async () => {
    const dir = makeTempDir('otel-audit-integrity-undecodable-');
    cleanups.push(dir.cleanup);
    const walOptions = { dir: dir.dir, syncPolicy: 'none' as const, preallocate: 'off' as const };
    const chain = { streamId: 's', checkpointEveryRecords: 1000, checkpointEveryMs: 3_600_000 };
    const errors: string[] = [];
    const logger = { ...silent, error: (m: string): void => void errors.push(m) };
    const run = async (write: (i: WalIntegrity, w: Wal) => Promise<unknown>): Promise<string> => {
      const wal = Wal.open(walOptions);
      const integrity = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', logger);
      try {
        integrity.start(wal);
        await write(integrity, wal);
        return integrity.sequencer.chain.streamId;
      } finally {
        await integrity.stop(wal);
        await wal.close();
      }
    };
    const record = (i: WalIntegrity, w: Wal, body: string): Promise<number> =>
      w.appendDeferred([i.deferred(createAuditRecord({ body, timeUnixNano: 1n }), 1n)]);
    await run(async (i, w) => {
      for (const body of ['a', 'b', 'c']) await record(i, w, body);
    });
    // Then a record frame with a valid CRC that does not decode (an unknown encoding version), last in the WAL.
    const badSeq = await (async () => {
      const wal = Wal.open(walOptions);
      try {
        return await wal.append(Uint8Array.of(0x7f, 1, 2, 3));
      } finally {
        await wal.close();
      }
    })();

    const ids: string[] = [];
    for (let restart = 0; restart < 3; restart++) ids.push(await run(() => Promise.resolve()));
    const renames = errors.filter((e) => e.includes('continuing as new stream'));
    expect(renames).toEqual([`audit_wal: chain s lost records; continuing as new stream s-r${badSeq + 1}`]);
    expect(ids).toEqual([`s-r${badSeq + 1}`, `s-r${badSeq + 1}`, `s-r${badSeq + 1}`]);
    // Logged at the first restart only (the new stream is read from its first seq on).
    expect(errors.filter((e) => e.includes(`seq ${badSeq}`)).length).toBe(2);
    expect(fs.readFileSync(path.join(dir.dir, 'stream_id'), 'utf8')).toBe(`s-r${badSeq + 1}\n`);
    // Without stream_first_seq (a copy of the directory without it), the name tells where the stream starts.
    const firstSeqFile = path.join(dir.dir, 'stream_first_seq');
    expect(fs.readFileSync(firstSeqFile, 'utf8')).toBe(`${badSeq + 1} s-r${badSeq + 1}\n`);
    fs.rmSync(firstSeqFile);
    expect(await run(() => Promise.resolve())).toBe(`s-r${badSeq + 1}`);
    expect(errors.filter((e) => e.includes('continuing as new stream')).length).toBe(1);
    expect(fs.readFileSync(firstSeqFile, 'utf8')).toBe(`${badSeq + 1} s-r${badSeq + 1}\n`);

    // The new stream goes on from there, and verify names the damage once.
    const last = await run(async (i, w) => {
      await record(i, w, 'd');
      await record(i, w, 'e');
    });
    expect(last).toBe(`s-r${badSeq + 1}`);
    const report = verifyWal({ dir: dir.dir });
    expect(report.issues.map((x) => [x.kind, x.seq])).toEqual([['undecodable', badSeq]]);
    const streams = report.streams.map((x) => [x.streamId, x.records]);
    expect(streams).toEqual([
      ['s', 3],
      [`s-r${badSeq + 1}`, 2],
    ]);
  });

  it('at start, a 24 MiB hostile last frame is read in bounded memory (a 384 MiB heap)', async () => {
    const dir = makeTempDir('otel-audit-integrity-hostile-');
    cleanups.push(dir.cleanup);
    const payloadBytesMax = 32 << 20;
    const walOptions = {
      dir: dir.dir,
      syncPolicy: 'none' as const,
      preallocate: 'off' as const,
      payloadBytesMax,
      segmentBytesMax: 2 * payloadBytesMax,
      queueBytesMax: 2 * payloadBytesMax,
    };
    const chain = { streamId: 's', checkpointEveryRecords: 1000, checkpointEveryMs: 3_600_000 };
    const wal = Wal.open(walOptions);
    const integrity = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', silent);
    integrity.start(wal);
    for (const body of ['a', 'b']) {
      await wal.appendDeferred([integrity.deferred(createAuditRecord({ body, timeUnixNano: 1n }), 1n)]);
    }
    await integrity.stop(wal);
    // 12 million empty attributes (~0.7 GB of heap decoded): a CRC-valid frame no writer of this WAL wrote.
    await wal.append(hostileRecordPayload(12_000_000));
    await wal.close();

    // In a child process with a 384 MiB heap: decoding the frame (the old budget) would end it out of memory.
    const url = (p: string): string => JSON.stringify(new URL(p, import.meta.url).href);
    const code = `
      const { Wal } = await import(${url('../../src/wal/Wal.ts')});
      const { WalIntegrity } = await import(${url('./WalIntegrity.ts')});
      const { walOptions, chain } = JSON.parse(process.argv[1]);
      const errors = [];
      const logger = { info() {}, warn() {}, error: (m) => errors.push(m) };
      const wal = Wal.open(walOptions);
      const integrity = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', logger);
      integrity.start(wal);
      const { streamId, size } = integrity.sequencer.chain;
      await integrity.stop(wal);
      await wal.close();
      process.stdout.write(JSON.stringify({ streamId, size, errors }));
    `;
    const child = spawnSync(
      process.execPath,
      ['--max-old-space-size=384', '--input-type=module', '-e', code, JSON.stringify({ walOptions, chain })],
      { encoding: 'utf8', timeout: 50_000 },
    );
    const outOfMemory = /heap out of memory/.test(child.stderr);
    expect({ status: child.status, signal: child.signal, outOfMemory }).toEqual({
      status: 0,
      signal: null,
      outOfMemory: false,
    });
    const result: unknown = JSON.parse(child.stdout);
    expect(result).toEqual({ streamId: 's', size: 2, errors: [] });
  }, 60_000);

  it('a record modified after it was chained, last in the WAL: the chain continues from its stored hash, verify names it once', async () => {
    const dir = makeTempDir('otel-audit-integrity-modified-');
    cleanups.push(dir.cleanup);
    const walOptions = { dir: dir.dir, syncPolicy: 'none' as const, preallocate: 'off' as const };
    const chain = { streamId: 's', checkpointEveryRecords: 1000, checkpointEveryMs: 3_600_000 };
    const errors: string[] = [];
    const logger = { ...silent, error: (m: string): void => void errors.push(m) };
    const run = async (bodies: string[]): Promise<void> => {
      const wal = Wal.open(walOptions);
      const integrity = new WalIntegrity([{ kind: 'chain', config: chain }], 'audit_wal', logger);
      try {
        integrity.start(wal);
        for (const body of bodies) {
          await wal.appendDeferred([integrity.deferred(createAuditRecord({ body, timeUnixNano: 1n }), 1n)]);
        }
      } finally {
        await integrity.stop(wal);
        await wal.close();
      }
    };
    await run(['a', 'b', 'c']);
    // Record 4, chained, then changed before it is stored (as by someone rewriting its frame, CRC and all).
    let modifiedSeq: number;
    {
      const wal = Wal.open(walOptions);
      try {
        const { chain: state } = recoverChain(wal.reader(), 's');
        const record = createAuditRecord({ body: 'd', timeUnixNano: 1n });
        state.link(record);
        record.body = 'd, changed';
        modifiedSeq = await wal.append(encodeRecord(record));
      } finally {
        await wal.close();
      }
    }
    await run(['e', 'f']);
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(`^audit_wal: chain recovery: s: record at seq ${modifiedSeq}: .*modified`),
      ),
    ]);
    const report = verifyWal({ dir: dir.dir });
    expect(report.issues.map((x) => [x.kind, x.seq])).toEqual([['modified', modifiedSeq]]);
    expect(report.streams.map((x) => [x.streamId, x.records])).toEqual([['s', 6]]);
  });
});
