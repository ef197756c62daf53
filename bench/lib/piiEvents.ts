/**
 * Audit events with personal data, for the privacy benchmark: the pipeline
 * benchmark's events (bench/lib/auditEvents.ts: who, what, on which resource,
 * from which IP) with, on a fixed share of them, an e-mail attribute, a card
 * number or a phone number in the body, and a bearer token in an
 * `http.request.header.authorization` attribute. Deterministic; built once,
 * outside the timed loops.
 */
import type { KeyValue } from '../../src/record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditEvents, type AuditEvent } from './auditEvents.ts';

const CARDS = ['4111 1111 1111 1111', '5500-0055-5555-5559', '378282246310005'];

export function piiEvents(count: number): AuditEvent[] {
  return auditEvents(count).map((event, i) => {
    const attributes: Record<string, string | number> = { ...event.attributes };
    let body = event.body;
    if (i % 4 === 0) attributes['user.email'] = `user${i}@example.com`;
    if (i % 8 === 1) body = `${body}; paid with ${CARDS[i % CARDS.length] ?? ''}`;
    if (i % 8 === 5) body = `${body}; callback +1 (415) 555-${String(1000 + (i % 9000))}`;
    if (i % 16 === 3)
      attributes['http.request.header.authorization'] = `Bearer tok_${i.toString(36)}_a1b2c3d4e5`;
    return { ...event, body, attributes };
  });
}

/** A fresh `AuditRecord` of an event (masking changes records, so every measured call gets its own). */
export function toAuditRecord(event: AuditEvent): AuditRecord {
  const attributes: KeyValue[] = Object.entries(event.attributes).map(([key, value]) => ({
    key,
    value: typeof value === 'number' ? BigInt(value) : value,
  }));
  return createAuditRecord({
    eventName: event.eventName,
    severityNumber: 9,
    severityText: 'INFO',
    body: event.body,
    attributes,
  });
}
