import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { isKeyValueList, type AnyValue } from './AnyValue.ts';
import { createAuditRecord, createAuditResource, createAuditScope, type AuditRecord } from './AuditRecord.ts';
import { auditRecordView } from './AuditRecordView.ts';
import { fromSdkLogRecord } from './fromSdkLogRecord.ts';
import type { MutableLogRecordView } from './MutableLogRecordView.ts';
import { sdkLogRecordView } from './SdkLogRecordView.ts';

/** A toy processor, written once against the view: mask e-mails at any depth, drop secrets, tag the record. */
function maskingProcessor(view: MutableLogRecordView): void {
  const mask = (value: AnyValue): AnyValue => {
    if (typeof value === 'string') return value.replace(/[\w.]+@[\w.]+/g, '***');
    if (Array.isArray(value)) return value.map(mask);
    if (isKeyValueList(value))
      return { values: value.values.map((kv) => ({ key: kv.key, value: mask(kv.value) })) };
    return value;
  };
  const body = view.getBody();
  if (body !== undefined) view.setBody(mask(body));
  for (const { key, value } of view.attributes()) view.setAttribute(key, mask(value));
  view.deleteAttribute('secret');
  view.setAttribute('audit.masked', true);
  view.setAttribute('audit.service', view.getResourceAttribute('service.name') ?? null);
  view.setAttribute('audit.scope', `${view.scopeName}@${view.scopeVersion}`);
  if (view.severityNumber < 9) view.severityNumber = 9;
  view.severityText = 'INFO';
  view.eventName = 'masked';
}

const input = {
  body: {
    values: [
      { key: 'msg', value: 'mail bob@example.com' },
      { key: 'to', value: ['eve@x.org', 5n] },
    ],
  },
  attributes: { 'user.email': 'a@b.c', secret: 'hunter2', count: 2 },
};

const expectedBody = {
  values: [
    { key: 'msg', value: 'mail ***' },
    { key: 'to', value: ['***', 5n] },
  ],
};
const expectedAttributes = [
  { key: 'user.email', value: '***' },
  { key: 'count', value: 2n },
  { key: 'audit.masked', value: true },
  { key: 'audit.service', value: 'svc' },
  { key: 'audit.scope', value: 'lib@1.0' },
];

describe('MutableLogRecordView: one processor, both record kinds', () => {
  it('works on an AuditRecord', () => {
    const record = createAuditRecord({
      resource: createAuditResource({ attributes: [{ key: 'service.name', value: 'svc' }] }),
      scope: createAuditScope({ name: 'lib', version: '1.0' }),
      body: input.body,
      attributes: [
        { key: 'user.email', value: 'a@b.c' },
        { key: 'secret', value: 'hunter2' },
        { key: 'count', value: 2n },
        { key: 'secret', value: 'again' },
      ],
    });
    maskingProcessor(auditRecordView(record));
    expect(record.body).toEqual(expectedBody);
    expect(record.attributes).toEqual(expectedAttributes);
    expect([record.severityNumber, record.severityText, record.eventName]).toEqual([9, 'INFO', 'masked']);
  });

  it('works on an SDK ReadWriteLogRecord inside onEmit', () => {
    const captured: AuditRecord[] = [];
    const masking: LogRecordProcessor = {
      onEmit: (record: ReadWriteLogRecord) => maskingProcessor(sdkLogRecordView(record)),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const capture: LogRecordProcessor = {
      onEmit: (record: ReadWriteLogRecord) => void captured.push(fromSdkLogRecord(record)),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'svc' }),
      processors: [masking, capture],
    });
    provider.getLogger('lib', '1.0').emit({
      body: { msg: 'mail bob@example.com', to: ['eve@x.org', 5] },
      attributes: input.attributes,
    });
    const [record] = captured;
    expect(record?.body).toEqual(expectedBody);
    expect(record?.attributes).toEqual(expectedAttributes);
    expect([record?.severityNumber, record?.severityText, record?.eventName]).toEqual([9, 'INFO', 'masked']);
  });
});

describe('view semantics', () => {
  it('AuditRecord view: first duplicate wins, set keeps position, delete removes all', () => {
    const record = createAuditRecord({
      attributes: [
        { key: 'k', value: 1n },
        { key: 'x', value: 'x' },
        { key: 'k', value: 2n },
      ],
    });
    const view = auditRecordView(record);
    expect(view.getAttribute('k')).toBe(1n);
    view.setAttribute('k', 'one');
    expect(record.attributes).toEqual([
      { key: 'k', value: 'one' },
      { key: 'x', value: 'x' },
      { key: 'k', value: 2n },
    ]);
    expect(view.deleteAttribute('k')).toBe(true);
    expect(view.deleteAttribute('k')).toBe(false);
    expect(record.attributes).toEqual([{ key: 'x', value: 'x' }]);
    const snapshot = view.attributes();
    snapshot.pop();
    expect(record.attributes).toHaveLength(1);
  });

  it('SDK view: converts values at the edge and exposes the trace context read-only', () => {
    let seen: Record<string, unknown> = {};
    const probe: LogRecordProcessor = {
      onEmit: (record: ReadWriteLogRecord) => {
        const view = sdkLogRecordView(record);
        view.setAttribute('safe', 2n ** 53n - 1n);
        view.setAttribute('unsafe', 2n ** 60n);
        view.setAttribute('bytes', new Uint8Array([1, 2]));
        view.setAttribute('map', {
          values: [
            { key: 'a', value: 1n },
            { key: 'a', value: 2n },
          ],
        });
        view.setBody(null);
        seen = {
          attributes: { ...record.attributes },
          body: record.body,
          gotBody: view.getBody(),
          traceId: view.traceId,
          spanId: view.spanId,
          flags: view.flags,
          time: view.timeUnixNano,
          deleted: [view.deleteAttribute('safe'), view.deleteAttribute('absent')],
          after: view.getAttribute('safe'),
          scopeAttributes: view.scopeAttributes(),
          resourceSchemaUrl: view.resourceSchemaUrl,
        };
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const provider = new LoggerProvider({ processors: [probe] });
    provider.getLogger('lib', undefined, { attributes: { tier: 'gold' } }).emit({
      timestamp: [10, 5],
      context: trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        spanId: 'bbbbbbbbbbbbbbbb',
        traceFlags: TraceFlags.SAMPLED,
      }),
    });
    expect(seen).toEqual({
      attributes: {
        safe: 2 ** 53 - 1,
        unsafe: (2n ** 60n).toString(),
        bytes: new Uint8Array([1, 2]),
        map: { a: 1 },
      },
      body: null,
      gotBody: null,
      traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      spanId: 'bbbbbbbbbbbbbbbb',
      flags: 1,
      time: 10_000_000_005n,
      deleted: [true, false],
      after: undefined,
      scopeAttributes: [{ key: 'tier', value: 'gold' }],
      resourceSchemaUrl: '',
    });
  });
});
