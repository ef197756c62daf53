/**
 * pino and winston reach the same in-process processors through
 * OpenTelemetry's log bridges: a log line written with either library ends
 * up durable in the audit WAL, with its message as the body, its fields as
 * attributes and its level as the severity.
 *
 * Two different logs APIs are involved (both are global singletons):
 * - `@opentelemetry/instrumentation-pino` 0.70 emits through the logs API of
 *   `@opentelemetry/api` 1.10 (`logs.getLogger` in its `OTelPinoStream`);
 * - `@opentelemetry/winston-transport` 0.34 emits through the separate
 *   `@opentelemetry/api-logs` 0.223 package, whose global lives under a
 *   different symbol. Setting one does not set the other, so each test sets
 *   (and afterwards removes) the global its bridge actually reads.
 */
import { createRequire } from 'node:module';
import { logs } from '@opentelemetry/api';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { OpenTelemetryTransportV3 } from '@opentelemetry/winston-transport';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import type pinoModule from 'pino';
import winston from 'winston';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLogging, type AuditLogging } from '../src/inprocess/createAuditLogging.ts';
import type { AuditRecord } from '../src/record/AuditRecord.ts';
import { decodeRecord } from '../src/record/walCodec.ts';
import { openWalReadOnly } from '../src/wal/readOnly.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';

const require = createRequire(import.meta.url);

/**
 * The logs API global that the winston transport reads: `@opentelemetry/api-logs`
 * resolved from the transport's own location, so it is the very instance the
 * transport calls `logs.getLogger` on (it is the transport's dependency, not ours).
 */
interface ApiLogsGlobal {
  readonly logs: {
    setGlobalLoggerProvider(provider: LoggerProvider): unknown;
    disable(): void;
  };
}
const apiLogs = createRequire(require.resolve('@opentelemetry/winston-transport'))(
  '@opentelemetry/api-logs',
) as ApiLogsGlobal;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  // Last registered, first undone: instrumentation and globals before the WAL and its directory.
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Harness {
  readonly dir: string;
  readonly audit: AuditLogging;
  readonly provider: LoggerProvider;
}

async function harness(): Promise<Harness> {
  const t = makeTempDir('otel-audit-bridges-');
  cleanups.push(t.cleanup);
  const audit = await createAuditLogging({
    config: `
receivers:
  audit_sdk:
exporters:
  audit_wal:
    directory: ${t.dir}
service:
  pipelines:
    logs:
      receivers: [audit_sdk]
      exporters: [audit_wal]
`,
  });
  const provider = new LoggerProvider({ processors: audit.processors });
  cleanups.push(() => provider.shutdown());
  return { dir: t.dir, audit, provider };
}

/** Every record in the WAL, with its sequence number (read after the writer closed). */
function stored(dir: string): Array<{ seq: number; record: AuditRecord }> {
  return [...openWalReadOnly({ dir }).reader.records()].map((r) => ({
    seq: r.seq,
    record: decodeRecord(r.payload),
  }));
}

function attribute(record: AuditRecord, key: string): unknown {
  return record.attributes.find((a) => a.key === key)?.value;
}

describe('log bridges into the audit WAL', () => {
  it('pino (instrumentation-pino): a log line is durable in the WAL', async () => {
    const { dir, audit, provider } = await harness();
    logs.setGlobalLoggerProvider(provider);
    cleanups.push(() => logs.disable());
    const instrumentation = new PinoInstrumentation({ disableLogSending: false });
    cleanups.push(() => instrumentation.disable());
    // The constructor enables the instrumentation: it installs a require-in-the-middle hook
    // for `pino`. That hook sees only CommonJS `require` calls made after it is installed:
    // - a static `import pino from 'pino'` is evaluated before this test runs, so its pino is
    //   the original (and the ESM loader does not go through the hooked `require` anyway);
    // - even a dynamic `await import('pino')` here stays unpatched (checked): patching ESM
    //   imports needs import-in-the-middle's loader hook (`node --import
    //   @opentelemetry/instrumentation/hook.mjs`), which the vitest runner does not install.
    // So, like a CommonJS application that sets up OpenTelemetry first, we `require` pino
    // after enabling; the patched factory adds an OTel stream to each logger's multistream.
    const pino = require('pino') as typeof pinoModule;
    const lines: string[] = [];
    const logger = pino({}, { write: (line: string) => void lines.push(line) });

    logger.info({ user: 'alice', action: 'login' }, 'user logged in');
    await audit.forceFlush();

    expect(lines).toHaveLength(1); // pino's own destination still gets the line
    const durableSeq = audit.wal.durableSeq;
    await provider.shutdown();
    const records = stored(dir);
    expect(records).toHaveLength(1);
    const { seq, record } = records[0] as { seq: number; record: AuditRecord };
    expect(durableSeq).toBeGreaterThanOrEqual(seq);
    expect(record.body).toBe('user logged in');
    expect(record.severityNumber).toBe(9);
    expect(record.severityText).toBe('info');
    expect(attribute(record, 'user')).toBe('alice');
    expect(attribute(record, 'action')).toBe('login');
    expect(record.scope.name).toBe('@opentelemetry/instrumentation-pino');
    expect(record.timeUnixNano).toBeGreaterThan(0n);
  });

  it('winston (OpenTelemetryTransportV3): a log line is durable in the WAL', async () => {
    const { dir, audit, provider } = await harness();
    apiLogs.logs.setGlobalLoggerProvider(provider);
    cleanups.push(() => apiLogs.logs.disable());
    const transport = new OpenTelemetryTransportV3();
    const logger = winston.createLogger({ level: 'info', transports: [transport] });
    cleanups.push(() => void logger.close());
    // winston hands the entry to its transports through a piped stream, possibly on a later
    // tick; the transport emits to the SDK (synchronously) before it emits 'logged'.
    const logged = new Promise((resolve) => transport.once('logged', resolve));

    logger.info('user logged in', { user: 'alice', action: 'login' });
    await logged;
    await audit.forceFlush();

    const durableSeq = audit.wal.durableSeq;
    await provider.shutdown();
    const records = stored(dir);
    expect(records).toHaveLength(1);
    const { seq, record } = records[0] as { seq: number; record: AuditRecord };
    expect(durableSeq).toBeGreaterThanOrEqual(seq);
    expect(record.body).toBe('user logged in');
    expect(record.severityNumber).toBe(9);
    expect(record.severityText).toBe('info');
    expect(attribute(record, 'user')).toBe('alice');
    expect(attribute(record, 'action')).toBe('login');
    expect(record.scope.name).toBe('@opentelemetry/winston-transport');
  });
});
