/**
 * The OTLP receiver with the official OpenTelemetry exporters as clients:
 * OTLP/HTTP JSON, OTLP/HTTP protobuf and OTLP/gRPC. Every record a client
 * sent (and got OK for) is in the WAL with everything it carried.
 */
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { basicConfig, startService, walRecords, type RunningService } from './helpers/startService.ts';

const tmp = makeTempDir('otel-audit-recv-');
let svc: RunningService;
beforeAll(async () => {
  svc = await startService(basicConfig(tmp.dir));
});
afterAll(async () => {
  await svc.stop();
  tmp.cleanup();
});

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

async function sendWith(exporter: LogRecordExporter, tag: string, count: number): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': `svc-${tag}`, 'deployment.environment': 'test' }),
    processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 16, scheduledDelayMillis: 5 })],
  });
  const logger = provider.getLogger(`scope-${tag}`, '2.0.1');
  for (let i = 0; i < count; i++) {
    logger.emit({
      timestamp: [1_700_000_000 + i, 123_456_789],
      severityNumber: 13,
      severityText: 'WARN',
      body: { message: `transfer ${tag} ${i}`, amount: 12.5, tags: ['a', 'b'] },
      attributes: { 'user.id': `u-${i}`, 'http.status_code': 201, ok: true, ratio: 0.25 },
      eventName: 'audit.transfer',
      context: undefined,
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
}

function check(tag: string, count: number): void {
  const records = walRecords(tmp.dir).filter((r) => r.scope.name === `scope-${tag}`);
  expect(records).toHaveLength(count);
  records.forEach((r, i) => {
    expect(r.scope.version).toBe('2.0.1');
    expect(r.resource.attributes).toContainEqual({ key: 'service.name', value: `svc-${tag}` });
    expect(r.timeUnixNano).toBe(BigInt(1_700_000_000 + i) * 1_000_000_000n + 123_456_789n);
    expect(r.observedTimeUnixNano).toBeGreaterThan(0n);
    expect(r.severityNumber).toBe(13);
    expect(r.severityText).toBe('WARN');
    expect(r.eventName).toBe('audit.transfer');
    expect(r.body).toEqual({
      values: [
        { key: 'message', value: `transfer ${tag} ${i}` },
        { key: 'amount', value: 12.5 },
        { key: 'tags', value: ['a', 'b'] },
      ],
    });
    const attrs = Object.fromEntries(r.attributes.map((kv) => [kv.key, kv.value]));
    expect(attrs['user.id']).toBe(`u-${i}`);
    expect(attrs['http.status_code']).toBe(201n);
    expect(attrs.ok).toBe(true);
    expect(attrs.ratio).toBe(0.25);
    expect(attrs['audit.client.address']).toBe('127.0.0.1');
  });
}

describe('OTLP receiver with the official OpenTelemetry exporters', () => {
  it('OTLP/HTTP JSON (@opentelemetry/exporter-logs-otlp-http)', async () => {
    await sendWith(new HttpJsonExporter({ url: svc.logsUrl }), 'json', 40);
    check('json', 40);
    expect(walRecords(tmp.dir).find((r) => r.scope.name === 'scope-json')?.attributes).toContainEqual({
      key: 'audit.client.protocol',
      value: 'otlp/http+json',
    });
  });

  it('OTLP/HTTP protobuf (@opentelemetry/exporter-logs-otlp-proto), gzip', async () => {
    await sendWith(new HttpProtoExporter({ url: svc.logsUrl, compression: 'gzip' as never }), 'proto', 40);
    check('proto', 40);
  });

  it('OTLP/gRPC (@opentelemetry/exporter-logs-otlp-grpc), gzip', async () => {
    await sendWith(new GrpcExporter({ url: svc.grpcUrl, compression: 'gzip' as never }), 'grpc', 40);
    check('grpc', 40);
    expect(walRecords(tmp.dir).find((r) => r.scope.name === 'scope-grpc')?.attributes).toContainEqual({
      key: 'audit.client.protocol',
      value: 'otlp/grpc',
    });
  });

  it('keeps trace context', async () => {
    const { trace, context, TraceFlags } = await import('@opentelemetry/api');
    const ctx = trace.setSpanContext(context.active(), {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: TraceFlags.SAMPLED,
    });
    const provider = new LoggerProvider({
      processors: [
        new BatchLogRecordProcessor({
          exporter: new HttpProtoExporter({ url: svc.logsUrl }),
          scheduledDelayMillis: 5,
        }),
      ],
    });
    provider.getLogger('scope-trace').emit({ body: 'with trace', context: ctx });
    await provider.shutdown();
    const r = walRecords(tmp.dir).find((x) => x.scope.name === 'scope-trace');
    expect(r?.traceId).toBe(TRACE_ID);
    expect(r?.spanId).toBe(SPAN_ID);
    expect(r?.flags).toBe(1);
  });
});
