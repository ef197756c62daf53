/**
 * Audit records for the integrity benchmark: the pipeline benchmark's audit
 * events (auditEvents.ts) as `AuditRecord`s — one resource and scope shared
 * by all, a distinct time per record, `request.id` as an int attribute.
 */
import type { KeyValue } from '../../src/record/AnyValue.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../../src/record/AuditRecord.ts';
import type { AuditEvent } from './auditEvents.ts';

const RESOURCE = createAuditResource({
  attributes: [
    { key: 'service.name', value: 'bench-app' },
    { key: 'service.version', value: '1.0.0' },
  ],
});
const SCOPE = createAuditScope({ name: 'bench', version: '1.0.0' });
/** 2026-11-26T10:00:00Z */
const T0 = 1_795_687_200_000_000_000n;

/** Record `i` built from `events[i % events.length]` (a fresh, mutable object: chaining changes its attributes). */
export function auditRecordOf(events: readonly AuditEvent[], i: number): AuditRecord {
  const e = events[i % events.length] as AuditEvent;
  const attributes: KeyValue[] = Object.entries(e.attributes).map(([key, value]) => ({
    key,
    value: typeof value === 'number' ? BigInt(value) : value,
  }));
  return createAuditRecord({
    resource: RESOURCE,
    scope: SCOPE,
    timeUnixNano: T0 + BigInt(i) * 1000n,
    severityNumber: 9,
    severityText: 'INFO',
    body: e.body,
    attributes,
    eventName: e.eventName,
  });
}
