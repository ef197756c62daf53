/**
 * Realistic audit events for the pipeline benchmark: an event name, seven
 * attributes (who, what, on which resource, with what outcome, from where)
 * and a human-readable body of about 100 bytes. A fixed pool is generated up
 * front so every contender logs exactly the same content and the cost of
 * making the events is never measured.
 */
import type { LogRecord } from '@opentelemetry/api';

export interface AuditEvent {
  readonly eventName: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string | number>>;
}

const ACTIONS = ['login', 'logout', 'read', 'update', 'delete', 'export', 'grant'] as const;
const OUTCOMES = ['success', 'success', 'success', 'failure'] as const;
const METHODS = ['POST', 'GET', 'PUT', 'DELETE'] as const;

/** `count` different events, the same for the same `count` (deterministic). */
export function auditEvents(count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i++) {
    const action = ACTIONS[i % ACTIONS.length] as string;
    const outcome = OUTCOMES[i % OUTCOMES.length] as string;
    const user = `u${100_000 + ((i * 7919) % 90_000)}`;
    const resource = `/accounts/${1000 + (i % 500)}/documents/${20_000 + i}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const requestId = 5_000_000 + i;
    events.push({
      eventName: `audit.${action}`,
      body: `User ${user} ${action} ${resource} from ${ip}: ${outcome} (request ${requestId}, policy rbac-v2)`,
      attributes: {
        'user.id': user,
        action,
        resource,
        outcome,
        'source.ip': ip,
        'http.request.method': METHODS[i % METHODS.length] as string,
        'request.id': requestId,
      },
    });
  }
  return events;
}

/** The record handed to `logger.emit` (built once per event, outside the timed loops). */
export function toSdkLogRecord(e: AuditEvent): LogRecord {
  return {
    eventName: e.eventName,
    severityNumber: 9,
    severityText: 'INFO',
    body: e.body,
    attributes: e.attributes,
  };
}

/** The object handed to pino next to the message: the same attributes plus the event name. */
export function toPinoFields(e: AuditEvent): Record<string, string | number> {
  return { 'event.name': e.eventName, ...e.attributes };
}

/** What one event looks like, for the benchmark output. */
export function describeEvents(events: readonly AuditEvent[]): Record<string, unknown> {
  const first = events[0];
  const bodyBytes = events.reduce((n, e) => n + Buffer.byteLength(e.body), 0) / events.length;
  return {
    distinct_events: events.length,
    event_name: first?.eventName,
    attribute_keys: first ? Object.keys(first.attributes) : [],
    body_bytes_avg: Math.round(bodyBytes),
    body_example: first?.body,
  };
}
