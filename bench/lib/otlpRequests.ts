/**
 * Pre-encoded OTLP `ExportLogsServiceRequest` bodies for the receiver
 * benchmark: each request carries `recordsPerRequest` audit-like records
 * (event name, INFO severity, times, trace context, the seven attributes of
 * `auditEvents`, a ~100-byte body) under one shared resource (service.name,
 * service.version, service.instance.id, host.name, deployment.environment.name)
 * and one scope. A few distinct bodies are built once; clients cycle through
 * them, so sending costs almost no CPU.
 */
import type { KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, createAuditResource, createAuditScope } from '../../src/record/AuditRecord.ts';
import { encodeOtlpLogsProtobuf } from '../../src/otlp/protobufCodec.ts';
import { auditEvents } from './auditEvents.ts';

export interface OtlpRequestSet {
  readonly bodies: readonly Buffer[];
  readonly recordsPerRequest: number;
  /** Mean encoded size of one request. */
  readonly requestBytes: number;
  /** Mean attributes per record as sent (the receiver adds its `audit.client.*` ones). */
  readonly attributesPerRecord: number;
  /** Mean body size in bytes. */
  readonly bodyBytes: number;
}

const BASE_TIME_NS = 1_750_000_000_000_000_000n;

/** `width` lowercase hex characters from a non-zero 32-bit hash of `n`. */
function hex(n: number, seed: number, width: number): string {
  return ((Math.imul(n + 1, seed) | 1) >>> 0)
    .toString(16)
    .padStart(8, '0')
    .repeat(width / 8);
}

/** `distinct` different request bodies of `recordsPerRequest` records each (deterministic). */
export function buildOtlpRequests(recordsPerRequest: number, distinct = 8): OtlpRequestSet {
  const resource = createAuditResource({
    attributes: [
      { key: 'service.name', value: 'billing-api' },
      { key: 'service.version', value: '4.12.1' },
      { key: 'service.instance.id', value: '6f1c2a9e-3b7d-4c55-9a0e-2d8b7f41c3aa' },
      { key: 'host.name', value: 'billing-api-7c9f8d6b5-x2k4p' },
      { key: 'deployment.environment.name', value: 'production' },
    ],
  });
  const scope = createAuditScope({ name: 'com.example.audit', version: '2.3.0' });
  const events = auditEvents(recordsPerRequest * distinct);
  const bodies: Buffer[] = [];
  let attributes = 0;
  let bodyBytes = 0;
  for (let r = 0; r < distinct; r++) {
    const records = [];
    for (let i = 0; i < recordsPerRequest; i++) {
      const n = r * recordsPerRequest + i;
      const e = events[n];
      if (!e) throw new Error(`no event ${n}`);
      const attrs: KeyValue[] = Object.entries(e.attributes).map(([key, v]) => ({
        key,
        value: typeof v === 'number' ? BigInt(v) : v,
      }));
      attributes += attrs.length;
      bodyBytes += Buffer.byteLength(e.body);
      const t = BASE_TIME_NS + BigInt(n) * 1_000_000n;
      records.push(
        createAuditRecord({
          resource,
          scope,
          timeUnixNano: t,
          observedTimeUnixNano: t + 250_000n,
          severityNumber: 9,
          severityText: 'INFO',
          eventName: e.eventName,
          body: e.body,
          attributes: attrs,
          flags: 1,
          traceId: hex(n, 0x9e3779b9, 32),
          spanId: hex(n, 0x85ebca6b, 16),
        }),
      );
    }
    bodies.push(Buffer.from(encodeOtlpLogsProtobuf(records)));
  }
  const total = recordsPerRequest * distinct;
  return {
    bodies,
    recordsPerRequest,
    requestBytes: Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length),
    attributesPerRecord: attributes / total,
    bodyBytes: Math.round(bodyBytes / total),
  };
}
