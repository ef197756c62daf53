import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORD_ELEMENTS_MAX_DEFAULT } from '../integrity/verify/verifyWal.ts';
import { hostileRecordPayload } from '../integrity/verify/testutil/hostilePayload.ts';
import { writeOversizeFrameWal } from '../integrity/verify/testutil/oversizeFrameWal.ts';
import { decodeOtlpLogsJson } from '../otlp/jsonCodec.ts';
import { kvlist } from '../record/AnyValue.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../record/AuditRecord.ts';
import { groupedOrder, recordArb } from '../record/testutil/arbitraries.ts';
import { encodeRecord } from '../record/walCodec.ts';
import { FrameType } from '../wal/format.ts';
import { RECORD_PAYLOAD_BYTES_MAX } from '../wal/options.ts';
import { WAL_FRAME_BYTES_MAX } from '../wal/readOnly.ts';
import { Wal } from '../wal/Wal.ts';
import { tempDirsRemovedAfterEach } from './testutil/tempDirs.ts';
import { BATCH_RECORDS_MAX } from './internal/replayFormats.ts';
import { formatTimeUnixNano } from './internal/time.ts';
import { runCli, writeWal } from './testutil/runCli.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** 2026-11-26T10:00:00Z */
const T0 = 1_795_687_200_000_000_000n;
/** Record i is at T0 + i × (1 s + 1 ns), so nanoseconds matter at the bounds. */
const timeOfIndex = (i: number) => T0 + BigInt(i) * 1_000_000_001n;

const tempDir = tempDirsRemovedAfterEach('otel-audit-replay-');

const RESOURCE = createAuditResource({
  attributes: [{ key: 'service.name', value: 'billing' }],
  schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
});
const SCOPE = createAuditScope({ name: 'audit', version: '1.2.3' });

function sampleRecords(count: number): AuditRecord[] {
  return Array.from({ length: count }, (_, i) =>
    createAuditRecord({
      resource: RESOURCE,
      scope: SCOPE,
      timeUnixNano: timeOfIndex(i),
      severityNumber: 9,
      body: `event ${i}`,
      attributes: [{ key: 'n', value: BigInt(i) }],
    }),
  );
}

/** A WAL in a fresh directory holding `records`. */
async function walOf(records: readonly AuditRecord[], options: Parameters<typeof writeWal>[2] = {}) {
  const dir = tempDir();
  await writeWal(dir, records, options);
  return dir;
}

interface JsonlLine {
  seq: number;
  time: string;
  record: { body: { stringValue: string } } & Record<string, unknown>;
}

const jsonl = (stdout: string): JsonlLine[] =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonlLine);
const seqs = (stdout: string) => jsonl(stdout).map((line) => line.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The records an OTLP/JSON output holds, decoded. */
const otlpRecords = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => decodeOtlpLogsJson(line));

describe('otel-audit replay: jsonl', () => {
  it('writes one line per record: seq, RFC 3339 time with ns, and the OTLP/JSON log record with resource and scope', async () => {
    const record = createAuditRecord({
      resource: RESOURCE,
      scope: SCOPE,
      timeUnixNano: T0,
      observedTimeUnixNano: T0 + 5n,
      severityNumber: 9,
      severityText: 'INFO',
      body: kvlist([
        ['action', 'transfer'],
        ['amount', 9_007_199_254_740_993n],
      ]),
      attributes: [
        { key: 'digest', value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
        { key: 'zero', value: -0 },
        { key: 'nan', value: NaN },
      ],
      flags: 1,
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      eventName: 'payment.transfer',
    });
    const dir = await walOf([record], { timeOf: () => T0 + 123_456_789n });
    const r = await runCli(['replay', '--wal', dir]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      '{"seq":1,"time":"2026-11-26T10:00:00.123456789Z","record":{' +
        '"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}],' +
        '"schemaUrl":"https://opentelemetry.io/schemas/1.26.0"},' +
        '"scope":{"name":"audit","version":"1.2.3"},' +
        '"timeUnixNano":"1795687200000000000","observedTimeUnixNano":"1795687200000000005",' +
        '"severityNumber":9,"severityText":"INFO",' +
        '"body":{"kvlistValue":{"values":[{"key":"action","value":{"stringValue":"transfer"}},' +
        '{"key":"amount","value":{"intValue":"9007199254740993"}}]}},' +
        '"attributes":[{"key":"digest","value":{"bytesValue":"3q2+7w=="}},' +
        '{"key":"zero","value":{"doubleValue":-0}},{"key":"nan","value":{"doubleValue":"NaN"}}],' +
        '"flags":1,"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",' +
        '"eventName":"payment.transfer"}}\n',
    );
  });

  it('is lossless: each line, put back into an OTLP/JSON request, decodes to the record written', async () => {
    const records = randomRecords(300, 7);
    const dir = await walOf(records, { timeOf: (_, i) => timeOfIndex(i) });
    const r = await runCli(['replay', '--wal', dir, '--format', 'jsonl']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(300);
    lines.forEach((text, i) => {
      const line = parseKeepingNegativeZero(text) as {
        seq: number;
        time: string;
        record: { resource: { schemaUrl?: string }; scope: { schemaUrl?: string } };
      };
      expect(line.seq).toBe(i + 1);
      expect(line.time).toBe(formatTimeUnixNano(timeOfIndex(i)));
      const { resource, scope, ...logRecord } = line.record;
      const { schemaUrl: resourceSchemaUrl, ...resourceFields } = resource;
      const { schemaUrl: scopeSchemaUrl, ...scopeFields } = scope;
      const request = {
        resourceLogs: [
          {
            resource: resourceFields,
            schemaUrl: resourceSchemaUrl,
            scopeLogs: [{ scope: scopeFields, schemaUrl: scopeSchemaUrl, logRecords: [logRecord] }],
          },
        ],
      };
      expect(decodeOtlpLogsJson(JSON.stringify(request))).toEqual([records[i]]);
    });
  });
});

/** `JSON.parse`, keeping a -0 that `JSON.stringify` would otherwise write as 0. */
function parseKeepingNegativeZero(text: string): unknown {
  const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;
  return JSON.parse(text, (_key, value: unknown) => (Object.is(value, -0) ? rawJSON('-0') : value));
}

/** Records from the shared arbitraries, over 3 resources and 3 scopes made distinct by value. */
function randomRecords(count: number, seed: number): AuditRecord[] {
  const [pools] = fc.sample(
    fc.record({
      resources: fc.array(
        recordArb().map((r) => r.resource),
        { minLength: 3, maxLength: 3 },
      ),
      scopes: fc.array(
        recordArb().map((r) => r.scope),
        { minLength: 3, maxLength: 3 },
      ),
    }),
    { numRuns: 1, seed },
  );
  const resources = (pools?.resources ?? []).map((r, i) => ({
    ...r,
    attributes: [{ key: 'pool.id', value: BigInt(i) }, ...r.attributes],
  }));
  const scopes = (pools?.scopes ?? []).map((s, i) => ({
    ...s,
    attributes: [{ key: 'pool.id', value: BigInt(i) }, ...s.attributes],
  }));
  return fc.sample(recordArb(), { numRuns: count, seed: seed + 1 }).map((record, i) => ({
    ...record,
    resource: resources[i % 3] ?? record.resource,
    scope: scopes[(i * 7) % 3] ?? record.scope,
  }));
}

describe('otel-audit replay: otlp-json', () => {
  it('writes OTLP/JSON requests of up to 512 records that decode back to exactly the records written', async () => {
    const records = randomRecords(2 * BATCH_RECORDS_MAX + 76, 11);
    const dir = await walOf(records, { timeOf: (_, i) => timeOfIndex(i) });
    const r = await runCli(['replay', '--wal', dir, '--format', 'otlp-json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    // Within each request the encoder groups by resource, then scope.
    const expected = [0, 1, 2].flatMap((b) =>
      groupedOrder(records.slice(b * BATCH_RECORDS_MAX, (b + 1) * BATCH_RECORDS_MAX)),
    );
    expect(lines.flatMap((line) => decodeOtlpLogsJson(line))).toEqual(expected);
    for (const line of lines) expect(Object.keys(JSON.parse(line) as object)).toEqual(['resourceLogs']);
  });
});

describe('otel-audit replay: selection', () => {
  const records = sampleRecords(30);
  const written = () => walOf(records, { timeOf: (_, i) => timeOfIndex(i) });

  it('selects by sequence number, bounds inclusive', async () => {
    const dir = await written();
    expect(seqs((await runCli(['replay', '--wal', dir])).stdout)).toEqual(range(1, 30));
    expect(seqs((await runCli(['replay', '--wal', dir, '--from-seq', '5', '--to-seq', '9'])).stdout)).toEqual(
      range(5, 9),
    );
    expect(seqs((await runCli(['replay', '--wal', dir, '--from-seq', '28'])).stdout)).toEqual([28, 29, 30]);
    expect(seqs((await runCli(['replay', '--wal', dir, '--to-seq', '2'])).stdout)).toEqual([1, 2]);
    expect(seqs((await runCli(['replay', '--wal', dir, '--from-seq', '7', '--to-seq', '7'])).stdout)).toEqual(
      [7],
    );
    expect(await runCli(['replay', '--wal', dir, '--from-seq', '31'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('selects by time, RFC 3339 (to the nanosecond) or unix nanoseconds, bounds inclusive', async () => {
    const dir = await written();
    // Records (seq = index + 1) 3..7 by index: exactly on both bounds.
    const from = formatTimeUnixNano(timeOfIndex(3));
    expect(from).toBe('2026-11-26T10:00:03.000000003Z');
    const to = timeOfIndex(7).toString();
    const r = await runCli(['replay', '--wal', dir, '--from', from, '--to', to]);
    expect(r.code).toBe(0);
    expect(seqs(r.stdout)).toEqual(range(4, 8));
    // One nanosecond inside the bounds drops the boundary records.
    const inner = await runCli([
      'replay',
      '--wal',
      dir,
      '--from',
      '2026-11-26T10:00:03.000000004Z',
      '--to',
      (timeOfIndex(7) - 1n).toString(),
    ]);
    expect(seqs(inner.stdout)).toEqual(range(5, 7));
    // An offset is honoured.
    const offset = await runCli(['replay', '--wal', dir, '--to', '2026-11-26T11:00:01.000000001+01:00']);
    expect(seqs(offset.stdout)).toEqual([1, 2]);
    // Time and sequence bounds combine.
    const both = await runCli(['replay', '--wal', dir, '--from', from, '--to-seq', '5']);
    expect(seqs(both.stdout)).toEqual([4, 5]);
  });

  it('selects by time in a WAL written one record per append', async () => {
    const dir = await walOf(records, { timeOf: (_, i) => timeOfIndex(i), batchRecords: 1 });
    const r = await runCli(['replay', '--wal', dir, '--to', timeOfIndex(7).toString()]);
    expect(seqs(r.stdout)).toEqual(range(1, 8));
  });

  it('--limit stops after n records, in both formats', async () => {
    const dir = await written();
    expect(seqs((await runCli(['replay', '--wal', dir, '--limit', '3'])).stdout)).toEqual([1, 2, 3]);
    expect(seqs((await runCli(['replay', '--wal', dir, '--from-seq', '10', '--limit', '2'])).stdout)).toEqual(
      [10, 11],
    );
    const otlp = await runCli(['replay', '--wal', dir, '--format', 'otlp-json', '--limit', '4']);
    expect(otlp.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(otlpRecords(otlp.stdout)).toEqual(records.slice(0, 4));
  });

  it('reads across segments', async () => {
    const dir = await walOf(sampleRecords(400), { segmentBytesMax: 8192, batchRecords: 7 });
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.wal')).length).toBeGreaterThan(3);
    const r = await runCli(['replay', '--wal', dir, '--from-seq', '50', '--to-seq', '350']);
    expect(seqs(r.stdout)).toEqual(range(50, 350));
    expect(jsonl(r.stdout)[0]?.record.body).toEqual({ stringValue: 'event 49' });
  });

  it('rejects bad values and inverted ranges as usage errors (exit 2)', async () => {
    const dir = await written();
    for (const args of [
      ['--from-seq', 'abc'],
      ['--from-seq', '0'],
      ['--to-seq', '-1'],
      ['--limit', '1.5'],
      ['--from', '2026-11-26'],
      ['--from', '2026-02-30T00:00:00Z'],
      ['--to', '2026-11-26T10:00:00.1234567891Z'],
      ['--to', '1969-12-31T23:59:59Z'],
      ['--to', '18446744073709551616'],
      ['--format', 'csv'],
      ['--verify', 'some'],
      ['--from-seq', '9', '--to-seq', '8'],
      ['--from', '2026-11-26T10:00:01Z', '--to', '2026-11-26T10:00:00Z'],
      ['--unknown'],
    ]) {
      const r = await runCli(['replay', '--wal', dir, ...args]);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^error: /);
    }
    expect((await runCli(['replay'])).code).toBe(2);
  });
});

describe('otel-audit replay: damage and errors', () => {
  /** Flips one byte in the middle of the (only) segment. */
  function flipMiddleByte(dir: string): string {
    const segment = fs.readdirSync(dir).find((name) => name.endsWith('.wal')) as string;
    const file = path.join(dir, segment);
    const bytes = fs.readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0xff;
    fs.writeFileSync(file, bytes);
    return segment;
  }

  it('reports damage met while reading (segment, offset), prints every intact record, exits 3', async () => {
    const records = sampleRecords(40);
    const dir = await walOf(records);
    const segment = flipMiddleByte(dir);
    const r = await runCli(['replay', '--wal', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      new RegExp(
        `^otel-audit: replay: damage: ${segment} at offset \\d+ \\(crc\\); skipping to the next intact record$`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(
      /^otel-audit: replay: damage found \(1 problem\); every intact record was printed$/m,
    );
    const lines = jsonl(r.stdout);
    expect(lines).toHaveLength(39);
    for (const line of lines) expect(line.record.body).toEqual({ stringValue: `event ${line.seq - 1}` });
    // otlp-json: the same records, losslessly.
    const otlp = await runCli(['replay', '--wal', dir, '--format', 'otlp-json']);
    expect(otlp.code).toBe(3);
    const kept = new Set(lines.map((line) => line.seq));
    expect(otlpRecords(otlp.stdout)).toEqual(records.filter((_, i) => kept.has(i + 1)));
  });

  it('with --verify full reports the corruption found at open once, and exits 3', async () => {
    const dir = await walOf(sampleRecords(40));
    const segment = flipMiddleByte(dir);
    const r = await runCli(['replay', '--wal', dir, '--verify', 'full']);
    expect(r.code).toBe(3);
    const problems = r.stderr.split('\n').filter((line) => /: (corruption|damage): /.test(line));
    expect(problems).toHaveLength(1);
    expect(r.stderr).toContain('damage found (1 problem)');
    expect(problems[0]).toMatch(new RegExp(`^otel-audit: replay: corruption: ${segment} at offset \\d+`));
    expect(jsonl(r.stdout)).toHaveLength(39);
    // Read-only: nothing was quarantined or changed.
    expect(fs.readdirSync(dir).sort()).toEqual([segment]);
  });

  it('names a frame refused for claiming more than a WAL writer writes (not read), and shows the records around it', async () => {
    const dir = tempDir();
    const [first, second] = sampleRecords(2) as [AuditRecord, AuditRecord];
    const at = writeOversizeFrameWal(dir, {
      before: [encodeRecord(first)],
      frameBytes: WAL_FRAME_BYTES_MAX + 1,
      after: [encodeRecord(second)],
    });
    const r = await runCli(['replay', '--wal', dir, '--verify', 'full']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`corruption: ${at.segment} at offset ${at.offset}`);
    expect(r.stderr).toContain(
      `(bad-frame: the frame there claims ${WAL_FRAME_BYTES_MAX + 1} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes; not read)`,
    );
    expect(jsonl(r.stdout).map((line) => line.seq)).toEqual([1, 3]);
  });

  it('damage outside the selected range: unseen with --verify tail (exit 0), found by --verify full (exit 3)', async () => {
    const dir = await walOf(sampleRecords(40));
    flipMiddleByte(dir);
    const tail = await runCli(['replay', '--wal', dir, '--to-seq', '3']);
    expect(tail).toMatchObject({ code: 0, stderr: '' });
    expect(seqs(tail.stdout)).toEqual([1, 2, 3]);
    const full = await runCli(['replay', '--wal', dir, '--to-seq', '3', '--verify', 'full']);
    expect(full.code).toBe(3);
    expect(seqs(full.stdout)).toEqual([1, 2, 3]);
    expect(full.stderr).toMatch(/: corruption: .*\n.*damage found \(1 problem\)/);
  });

  it('reports a stored payload that cannot be decoded as damage (exit 3), and skips non-record frames', async () => {
    const dir = tempDir();
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
    const [first, second] = sampleRecords(2) as [AuditRecord, AuditRecord];
    await wal.append(encodeRecord(first));
    await wal.append(new Uint8Array([9, 1, 2, 3])); // encoding version 9: not a record this build reads
    await wal.append(new Uint8Array([1, 2, 3]), { type: FrameType.CHECKPOINT });
    await wal.append(encodeRecord(second));
    await wal.close();
    const r = await runCli(['replay', '--wal', dir]);
    expect(r.code).toBe(3);
    expect(seqs(r.stdout)).toEqual([1, 4]);
    expect(r.stderr).toMatch(
      /^otel-audit: replay: damage: record 2 cannot be decoded \(RECORD_DECODE\): .*version 9/m,
    );
    expect(r.stderr).toContain('damage found (1 problem)');
  });

  it('a missing --wal directory is invalid input (exit 1); an empty one holds nothing (exit 0)', async () => {
    const dir = tempDir();
    const missing = await runCli(['replay', '--wal', 'nope'], { cwd: dir });
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: 'otel-audit: INVALID_ARGUMENT: --wal nope: no such directory\n',
    });
    const empty = await runCli(['replay', '--wal', '.'], { cwd: dir });
    expect(empty).toEqual({
      code: 0,
      stdout: '',
      stderr: 'otel-audit: replay: notice: no WAL segments in .\n',
    });
  });

  it('--progress reports the count on stderr', async () => {
    const dir = await walOf(sampleRecords(5));
    const r = await runCli(['replay', '--wal', dir, '--progress']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('otel-audit: replay: 5 records, done\n');
  });
});

describe('otel-audit replay: a hostile record (a valid frame built to exhaust memory)', () => {
  /** A WAL: sample record 0, a frame of `attributes` empty attributes (2 bytes each), sample record 1. */
  async function hostileWal(attributes: number): Promise<string> {
    const dir = tempDir();
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off', payloadBytesMax: 8 * 1024 * 1024 });
    const [first, second] = sampleRecords(2) as [AuditRecord, AuditRecord];
    try {
      await wal.append(encodeRecord(first));
      await wal.append(hostileRecordPayload(attributes));
      await wal.append(encodeRecord(second));
    } finally {
      await wal.close();
    }
    return dir;
  }

  it('beyond --record-elements-max: reported as damage with its seq, every other record printed, exit 3', async () => {
    const dir = await hostileWal(50_000); // 100 KB, 50,003 elements
    for (const format of ['jsonl', 'otlp-json']) {
      const r = await runCli(['replay', '--wal', dir, '--format', format, '--record-elements-max', '10000']);
      expect(r.code).toBe(3);
      expect(r.stderr).toBe(
        'otel-audit: replay: damage: record 2 cannot be decoded (DECODE_LIMIT): the record at WAL seq 2 (100013 bytes) holds more than 10000 protobuf elements, the limit per record (--record-elements-max): not decoded\n' +
          'otel-audit: replay: damage found (1 problem); every intact record was printed\n',
      );
      if (format === 'jsonl') expect(seqs(r.stdout)).toEqual([1, 3]);
      else expect(otlpRecords(r.stdout)).toEqual(sampleRecords(2));
    }
    // Within the budget the same record is printed like any other.
    const within = await runCli(['replay', '--wal', dir, '--record-elements-max', '50003']);
    expect(within).toMatchObject({ code: 0, stderr: '' });
    expect(jsonl(within.stdout)[1]?.record['attributes']).toHaveLength(50_000);
  });

  it("the default budget is verify's (the otlp receiver's default max_elements_per_request)", async () => {
    // One element more than the default: refused in the decoder's wire scan, before objects are built.
    const dir = await hostileWal(RECORD_ELEMENTS_MAX_DEFAULT - 2);
    const r = await runCli(['replay', '--wal', dir]);
    expect(r.code).toBe(3);
    expect(seqs(r.stdout)).toEqual([1, 3]);
    expect(r.stderr).toContain(
      `damage: record 2 cannot be decoded (DECODE_LIMIT): the record at WAL seq 2 (${hostileRecordPayload(RECORD_ELEMENTS_MAX_DEFAULT - 2).length} bytes) holds more than ${RECORD_ELEMENTS_MAX_DEFAULT} protobuf elements`,
    );
    const help = await runCli(['replay', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`(default: ${RECORD_ELEMENTS_MAX_DEFAULT})`);
  });

  it('a record whose JSON is longer than a JavaScript string can be: reported and skipped, exit 3', async () => {
    // 96 MiB of U+0001 (within the WAL writer's 128 MiB ceiling): its JSON escapes each as \u0001, 576 Mi
    // characters, beyond V8's ~512 Mi. Before, replay ended with an internal error and printed nothing.
    const dir = tempDir();
    const wal = Wal.open({
      dir,
      syncPolicy: 'none',
      preallocate: 'off',
      payloadBytesMax: RECORD_PAYLOAD_BYTES_MAX,
      segmentBytesMax: 256 * 1024 * 1024,
      queueBytesMax: 256 * 1024 * 1024,
    });
    const [first, second] = sampleRecords(2) as [AuditRecord, AuditRecord];
    try {
      await wal.append(encodeRecord(first));
      await wal.append(encodeRecord(createAuditRecord({ body: '\u0001'.repeat(96 * 1024 * 1024) })));
      await wal.append(encodeRecord(second));
    } finally {
      await wal.close();
    }
    for (const format of ['jsonl', 'otlp-json']) {
      const r = await runCli(['replay', '--wal', dir, '--format', format]);
      expect(r.stderr).toMatch(
        /^otel-audit: replay: error: record 2 \(\d+ bytes stored\) cannot be printed: its JSON is longer than the longest string JavaScript can hold; skipped\notel-audit: replay: 1 record too large to print; every other intact record was printed\n$/,
      );
      expect(r.code).toBe(3);
      if (format === 'jsonl') expect(seqs(r.stdout)).toEqual([1, 3]);
      else expect(otlpRecords(r.stdout)).toEqual(sampleRecords(2));
    }
  });

  it('rejects a budget that is not a whole number from 1 (usage, exit 2)', async () => {
    const dir = await walOf(sampleRecords(1));
    for (const value of ['0', '-1', '1.5', 'many']) {
      const r = await runCli(['replay', '--wal', dir, '--record-elements-max', value]);
      expect({ value, code: r.code, stdout: r.stdout }).toEqual({ value, code: 2, stdout: '' });
    }
  });
});

describe('otel-audit replay: the reader going away', () => {
  it('stops quietly with exit 0 when stdout fails with EPIPE', async () => {
    const dir = await walOf(sampleRecords(3000));
    let writes = 0;
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback(writes === 1 ? null : Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const r = await runCli(['replay', '--wal', dir], { stdout });
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(writes).toBe(2);
  });

  it('waits for drain when stdout pushes back, and holds no more than a chunk', async () => {
    const dir = await walOf(sampleRecords(3000));
    const chunks: string[] = [];
    let maxBuffered = 0;
    const stdout = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        setTimeout(callback, 1);
      },
    });
    const sample = setInterval(() => (maxBuffered = Math.max(maxBuffered, stdout.writableLength)), 0);
    const r = await runCli(['replay', '--wal', dir], { stdout });
    clearInterval(sample);
    expect(r.code).toBe(0);
    expect(seqs(chunks.join(''))).toEqual(range(1, 3000));
    expect(maxBuffered).toBeLessThanOrEqual(80 * 1024);
  });

  it('exits 0 when a real pipe is closed after the first line (like `| head -1`)', async () => {
    const dir = await walOf(sampleRecords(20_000));
    const child = spawn(process.execPath, [MAIN, 'replay', '--wal', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const end = text.indexOf('\n');
        if (end >= 0) {
          child.stdout.destroy(); // the reader goes away, as `head -1` does
          resolve(text.slice(0, end));
        }
      });
      child.on('error', reject);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(JSON.parse(firstLine)).toMatchObject({ seq: 1 });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
