/**
 * End to end: requests made by the official OpenTelemetry exporter
 * (@opentelemetry/exporter-logs-otlp-proto), captured as sent and replayed
 * over OTLP/HTTP and OTLP/gRPC into a real Service (`otlp` → `audit_wal`),
 * are stored byte for byte as before the wire bytes were reused: every WAL
 * payload is what `encodeRecord` (which never reuses them) writes for the
 * decoded, client-stamped record. And those requests do take the wire path.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stampClient } from '../../../receivers/otlp/clientAttributes.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { exportRaw } from '../../../test/helpers/rawOtlpGrpc.ts';
import { recordingReceiver } from '../../../test/helpers/recordingReceiver.ts';
import { basicConfig, startService, type RunningService } from '../../../test/helpers/startService.ts';
import { validWireOf } from '../../record/recordWire.ts';
import { encodeRecord, encodeRecordWithRoom } from '../../record/walCodec.ts';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { decodeOtlpLogsProtobuf, encodeOtlpLogsProtobuf } from '../protobufCodec.ts';
import { EncodeRefusal, encodeRecordsWithRoom } from './encodeFramedBatch.ts';

const tmp = makeTempDir('otel-audit-wire-');
let svc: RunningService;
beforeAll(async () => {
  svc = await startService(basicConfig(tmp.dir));
});
afterAll(async () => {
  await svc.stop();
  tmp.cleanup();
});

/** The request bodies the official OTLP/HTTP protobuf exporter sends for `count` varied records. */
async function officialExporterRequests(count: number): Promise<Buffer[]> {
  const bodies: Buffer[] = [];
  const capture = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  const { port } = capture.address() as AddressInfo;
  try {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'wire', 'deployment.environment': 'test' }),
      processors: [
        new BatchLogRecordProcessor({
          exporter: new HttpProtoExporter({ url: `http://127.0.0.1:${port}/v1/logs` }),
          maxExportBatchSize: 8,
          scheduledDelayMillis: 5,
        }),
      ],
    });
    const logger = provider.getLogger('scope-wire', '1.2.3');
    for (let i = 0; i < count; i++) {
      logger.emit({
        timestamp: [1_700_000_000 + i, 123_456_789],
        severityNumber: (i % 24) + 1,
        ...(i % 3 === 0 ? {} : { severityText: 'WARN' }),
        body:
          i % 4 === 0
            ? `plain body ${i} é😀`
            : { message: `transfer ${i}`, amount: i / 4, count: i, tags: ['a', 'b'], ok: i % 2 === 0 },
        attributes: {
          'user.id': `u-${i}`,
          'http.status_code': 200 + i,
          negative: -i,
          ratio: 0.25,
          ok: true,
          ...(i % 5 === 0 ? { list: [1, 2, 3], empty: '' } : {}),
        },
        ...(i % 2 === 0 ? { eventName: 'audit.transfer' } : {}),
      });
    }
    await provider.forceFlush();
    await provider.shutdown();
  } finally {
    await new Promise<void>((resolve) => capture.close(() => resolve()));
  }
  return bodies;
}

function walPayloads(dir: string): Buffer[] {
  const { reader } = openWalReadOnly({ dir, verify: 'full' });
  return [...reader.records({ types: [FrameType.RECORD] })].map((r) => Buffer.from(r.payload));
}

/** What the WAL held for `body` before the wire bytes were reused: the stamped records through `encodeRecord`. */
function expectedPayloads(body: Buffer, protocol: string): Buffer[] {
  const records = decodeOtlpLogsProtobuf(body, { keepWireBytes: false });
  stampClient(records, { address: '127.0.0.1', protocol });
  return records.map((r) => Buffer.from(encodeRecord(r)));
}

describe('wire bytes reuse, end to end', () => {
  it('the official exporter’s requests take the wire path and are stored byte for byte as before (HTTP and gRPC)', async () => {
    const bodies = await officialExporterRequests(40);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) {
      const records = decodeOtlpLogsProtobuf(body, { keepWireBytes: true });
      expect(records.length).toBeGreaterThan(0);
      for (const r of records) expect(validWireOf(r)).toBeDefined();
    }

    const expected: Buffer[] = [];
    for (const body of bodies) {
      const res = await fetch(svc.logsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
      });
      expect(res.status).toBe(200);
      expected.push(...expectedPayloads(body, 'otlp/http+protobuf'));
    }
    for (const body of bodies) {
      expect(await exportRaw(svc.grpcUrl, body)).toBeNull();
      expected.push(...expectedPayloads(body, 'otlp/grpc'));
    }

    const stored = walPayloads(tmp.dir);
    expect(stored).toHaveLength(80);
    expect(stored.length).toBe(expected.length);
    stored.forEach((payload, i) => {
      expect(payload.equals(expected[i] as Buffer), `payload ${i}`).toBe(true);
    });
  });
});

/** Request `i`'s three records; every fourth request's bodies are large (6 KB). */
function threeRecords(i: number): AuditRecord[] {
  return [0, 1, 2].map((j) =>
    createAuditRecord({
      body: i % 4 === 3 ? `b${i}.${j}:${'y'.repeat(6000)}` : `b${i}.${j}`,
      attributes: [{ key: 'k', value: `v${i}.${j}` }],
    }),
  );
}

/** A received batch written at once, as the audit_wal exporter writes it (`encodeRecordsWithRoom`): encodeRecord's bytes. */
function expectBatchStoredAsEncodeRecord(records: readonly AuditRecord[]): void {
  const framed = encodeRecordsWithRoom(1, records, 3, 2);
  expect(framed).toHaveLength(records.length);
  records.forEach((r, i) => {
    const f = framed[i];
    if (!(f instanceof Buffer))
      throw new Error(`record ${i} refused: ${f instanceof EncodeRefusal ? String(f.error) : 'no result'}`);
    expect(Buffer.from(f.subarray(3, f.length - 2)).equals(Buffer.from(encodeRecord(r)))).toBe(true);
  });
}

/** `r` kept its wire bytes, and they give the same stored bytes as encodeRecord (client attributes stamped). */
function expectStoredWithItsWire(r: AuditRecord): void {
  expect(validWireOf(r)).toBeDefined();
  expect(r.attributes.map((kv) => kv.key)).toEqual(['k', 'audit.client.address', 'audit.client.protocol']);
  const framed = encodeRecordWithRoom(r, 3, 2);
  expect(Buffer.from(framed.subarray(3, framed.length - 2)).equals(Buffer.from(encodeRecord(r)))).toBe(true);
}

describe('the receivers ask for the wire bytes (decodeOtlpLogsProtobuf keeps none by default)', () => {
  it('OTLP/HTTP protobuf, plain and gzip, small (pooled) and large bodies, concurrent: the records keep them and are stored as encodeRecord stores them, after every request is done', async () => {
    const { receiver, seen } = recordingReceiver('http');
    await receiver.start();
    const sentCount = 40;
    try {
      await Promise.all(
        Array.from({ length: sentCount }, async (_, i) => {
          const sent = threeRecords(i);
          const plain = Buffer.from(encodeOtlpLogsProtobuf(sent));
          const gzip = i % 2 === 1;
          const res = await fetch(`http://${receiver.endpoints.http ?? ''}/v1/logs`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-protobuf',
              ...(gzip ? { 'content-encoding': 'gzip' } : {}),
            },
            body: gzip ? gzipSync(plain) : plain,
          });
          expect(res.status).toBe(200);
        }),
      );
    } finally {
      await receiver.shutdown(2_000);
    }
    const records = seen.flatMap((b) => b.records);
    expect(records).toHaveLength(3 * sentCount);
    // more small allocations from Node's pool after the requests: none may reach a record's bytes
    for (let i = 0; i < 4096; i++) Buffer.allocUnsafe(1 + (i % 300)).fill(0xee);
    for (const b of seen) expectBatchStoredAsEncodeRecord(b.records);
    for (const r of records) {
      expectStoredWithItsWire(r);
      expect(r.body).toMatch(/^b\d+\.\d(:y+)?$/);
    }
  });

  it('OTLP/gRPC, plain and gzip, concurrent: the records keep them and are stored as encodeRecord stores them', async () => {
    const { receiver, seen } = recordingReceiver('grpc');
    await receiver.start();
    const sentCount = 20;
    try {
      await Promise.all(
        Array.from({ length: sentCount }, async (_, i) => {
          const sent = threeRecords(i);
          const body = Buffer.from(encodeOtlpLogsProtobuf(sent));
          const options = i % 2 === 1 ? { channelOptions: { 'grpc.default_compression_algorithm': 2 } } : {};
          expect(await exportRaw(`http://${receiver.endpoints.grpc ?? ''}`, body, options)).toBeNull();
        }),
      );
    } finally {
      await receiver.shutdown(2_000);
    }
    const records = seen.flatMap((b) => b.records);
    for (const b of seen) expectBatchStoredAsEncodeRecord(b.records);
    expect(records).toHaveLength(3 * sentCount);
    for (const r of records) {
      expectStoredWithItsWire(r);
    }
  });
});
