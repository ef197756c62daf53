/**
 * In-process quick start: an application's OpenTelemetry `LoggerProvider`
 * writes audit events into a durable otel-audit WAL.
 *
 *   node examples/node/quickstart.ts                              # WAL in a new temporary directory
 *   OTEL_AUDIT_DATA_DIR=./my-wal node examples/node/quickstart.ts # WAL in ./my-wal
 *
 * Node 24 runs this file as it is (type stripping). The pipeline is
 * examples/node/audit.yaml: an `attributes` processor that hashes
 * `user.email`, then the `audit_wal` exporter. See examples/README.md.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
// The public API (src/index.ts); an application that installed the package imports from 'otel-audit'.
import { createAuditLogging } from '../../src/index.ts';

const dataDir = path.resolve(
  process.env.OTEL_AUDIT_DATA_DIR ?? mkdtempSync(path.join(os.tmpdir(), 'otel-audit-quickstart-')),
);

// Loads the Collector-format YAML, opens the WAL (recovering it if it exists) and returns
// one LogRecordProcessor per configured processor plus the WAL writer, in pipeline order.
const audit = await createAuditLogging({
  configFiles: [path.join(import.meta.dirname, 'audit.yaml')],
  env: { ...process.env, OTEL_AUDIT_DATA_DIR: dataDir },
});

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'billing', 'service.version': '1.4.2' }),
  processors: audit.processors,
});
const logger = provider.getLogger('billing.audit', '1.0.0');

const events = [
  { eventName: 'user.login', body: 'login succeeded', user: 'u-1001', email: 'ada@example.com' },
  { eventName: 'payment.transfer', body: { amount: 125.5, currency: 'EUR', to: 'acct-77' }, user: 'u-1001' },
  { eventName: 'user.role_changed', body: { role: 'admin', by: 'u-0001' }, user: 'u-1002' },
];
for (const e of events) {
  // onEmit is synchronous: with `durability: group_commit` the record is queued here and
  // becomes durable at the next group commit (milliseconds later).
  logger.emit({
    eventName: e.eventName,
    severityNumber: 9, // INFO
    severityText: 'INFO',
    body: e.body,
    attributes: { 'user.id': e.user, ...(e.email ? { 'user.email': e.email } : {}) },
  });
}

// Resolves only when every record emitted before it is durable (written and fdatasync'ed);
// rejects with AuditWriteFailedError if one could not be made durable.
await audit.forceFlush();
console.log(`emitted ${events.length} audit events`);
console.log(`durable up to sequence number ${audit.wal.durableSeq} in ${dataDir}`);
console.log(`read them back: npm run otel-audit -- replay --wal ${dataDir}`);

// Flushes, seals the active segment and releases the WAL's lock.
await provider.shutdown();
