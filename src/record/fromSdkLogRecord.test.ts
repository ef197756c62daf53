import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from './AuditRecord.ts';
import { fromSdkLogRecord } from './fromSdkLogRecord.ts';
import { decodeRecord, encodeRecord } from './walCodec.ts';

/** A processor that converts every record in onEmit, as the WAL exporter will. */
class CapturingProcessor implements LogRecordProcessor {
  readonly records: AuditRecord[] = [];
  onEmit(logRecord: ReadWriteLogRecord): void {
    this.records.push(fromSdkLogRecord(logRecord));
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function emitOne(emit: (provider: LoggerProvider) => void): AuditRecord[] {
  const processor = new CapturingProcessor();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'billing', 'service.instance.count': 3, 'host.arch': ['x64', 'arm64'] },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' },
    ),
    processors: [processor],
  });
  emit(provider);
  return processor.records;
}

describe('fromSdkLogRecord', () => {
  it('converts a record emitted through a real LoggerProvider, field by field', () => {
    const spanContext = {
      traceId: '5B8EFFF798038103D269B633813FC60C'.toLowerCase(),
      spanId: 'eee19b7ec3c1b174',
      traceFlags: TraceFlags.SAMPLED,
    };
    const bytes = new Uint8Array([0, 1, 255]);
    const [record, ...rest] = emitOne((provider) => {
      const logger = provider.getLogger('audit.lib', '2.1.0', {
        schemaUrl: 'https://example.com/scope-schema',
        attributes: { 'scope.tier': 'gold' },
      });
      logger.emit({
        timestamp: [1_544_712_660, 300_000_123],
        observedTimestamp: [1_544_712_661, 0],
        severityNumber: SeverityNumber.WARN,
        severityText: 'WARN',
        eventName: 'user.login',
        body: {
          user: 'alice',
          tries: 3,
          ratio: 0.5,
          ok: false,
          raw: bytes,
          tags: ['a', null, 7],
          nested: { n: null },
        },
        attributes: {
          int: 42,
          double: 1.25,
          big: 2 ** 60,
          neg0: -0,
          nan: NaN,
          inf: -Infinity,
          skip: undefined,
        },
        context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
      });
    });
    expect(rest).toHaveLength(0);
    if (record === undefined) throw new Error('no record');

    expect(record.resource.attributes).toEqual([
      { key: 'service.name', value: 'billing' },
      { key: 'service.instance.count', value: 3n },
      { key: 'host.arch', value: ['x64', 'arm64'] },
    ]);
    expect(record.resource.droppedAttributesCount).toBe(0);
    expect(record.resource.schemaUrl).toBe('https://opentelemetry.io/schemas/1.30.0');
    expect(record.scope).toEqual({
      name: 'audit.lib',
      version: '2.1.0',
      attributes: [{ key: 'scope.tier', value: 'gold' }],
      droppedAttributesCount: 0,
      schemaUrl: 'https://example.com/scope-schema',
    });
    expect(record.timeUnixNano).toBe(1_544_712_660_300_000_123n);
    expect(record.observedTimeUnixNano).toBe(1_544_712_661_000_000_000n);
    expect(record.severityNumber).toBe(13);
    expect(record.severityText).toBe('WARN');
    expect(record.eventName).toBe('user.login');
    expect(record.body).toEqual({
      values: [
        { key: 'user', value: 'alice' },
        { key: 'tries', value: 3n },
        { key: 'ratio', value: 0.5 },
        { key: 'ok', value: false },
        { key: 'raw', value: new Uint8Array([0, 1, 255]) },
        { key: 'tags', value: ['a', null, 7n] },
        { key: 'nested', value: { values: [{ key: 'n', value: null }] } },
      ],
    });
    expect(record.attributes).toEqual([
      { key: 'int', value: 42n },
      { key: 'double', value: 1.25 },
      { key: 'big', value: 2n ** 60n },
      { key: 'neg0', value: -0 },
      { key: 'nan', value: NaN },
      { key: 'inf', value: -Infinity },
    ]);
    expect(record.droppedAttributesCount).toBe(0);
    expect(record.traceId).toBe('5b8efff798038103d269b633813fc60c');
    expect(record.spanId).toBe('eee19b7ec3c1b174');
    expect(record.flags).toBe(1);
    // bytes are copied, never shared with the SDK's record
    const body = record.body as { values: { value: unknown }[] };
    expect(body.values[4]?.value).not.toBe(bytes);
    // and it is what the WAL stores, losslessly
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('maps a minimal record and shares resource and scope between records of one logger', () => {
    const records = emitOne((provider) => {
      const logger = provider.getLogger('x');
      logger.emit({});
      logger.emit({ body: null, attributes: { dropped: undefined } });
    });
    const [first, second] = records;
    expect(first?.body).toBeUndefined();
    expect(second?.body).toBeNull();
    expect(first?.severityNumber).toBe(0);
    expect(first?.severityText).toBe('');
    expect(first?.traceId).toBe('');
    expect(first?.spanId).toBe('');
    expect(first?.flags).toBe(0);
    expect(first?.timeUnixNano).toBeGreaterThan(0n);
    expect(first?.scope).toEqual({
      name: 'x',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
    expect(second?.resource).toBe(first?.resource);
    expect(second?.scope).toBe(first?.scope);
    expect(second?.attributes).toEqual([]);
  });

  it('counts attributes the SDK dropped over its limit', () => {
    const processor = new CapturingProcessor();
    const provider = new LoggerProvider({
      processors: [processor],
      logRecordLimits: { attributeCountLimit: 1 },
    });
    provider.getLogger('x').emit({ attributes: { a: 1, b: 2, c: 3 } });
    expect(processor.records[0]?.attributes).toEqual([{ key: 'a', value: 1n }]);
    expect(processor.records[0]?.droppedAttributesCount).toBe(2);
  });
});
