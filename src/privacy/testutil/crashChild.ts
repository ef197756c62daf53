/**
 * A child process for KeyStore.crash.test.ts: in process, `audit_encrypt`
 * (body under the `user.id` subject's key) and `audit_wal` in DIR, emitting
 * records — most of them for a subject never seen before — until it is
 * killed, yielding every 50 emits (and sometimes not, so forced synchronous
 * commits happen too) and sleeping 2 ms every 200, so that key flushes and
 * group commits make progress. Prints `ready <durable seq>` once the pipeline
 * is up, then `durable <seq>` (the WAL's durable sequence number) every 200
 * emits, so that the test can kill it after progress rather than after a time.
 *
 *   node crashChild.ts --dir DIR --tag T   (master key: env CRASH_MASTER_KEY, base64)
 */
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { createAuditLogging } from '../../inprocess/createAuditLogging.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, tag: { type: 'string' } } });
const audit = await createAuditLogging({
  config: {
    receivers: { audit_sdk: null },
    processors: {
      audit_encrypt: {
        body: true,
        key_store: { directory: 'keys', master_keys: [{ value: process.env['CRASH_MASTER_KEY'] ?? '' }] },
      },
    },
    exporters: { audit_wal: { directory: 'wal' } },
    service: {
      pipelines: {
        logs: { receivers: ['audit_sdk'], processors: ['audit_encrypt'], exporters: ['audit_wal'] },
      },
    },
  },
  baseDir: values.dir ?? '',
  logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  onFailure: () => undefined,
});
const logger = new LoggerProvider({ processors: audit.processors }).getLogger('crash');
process.stdout.write(`ready ${audit.wal.durableSeq}\n`);
for (let i = 0; ; i++) {
  const subject = i % 4 === 0 ? `known-${i % 40}` : `new-${values.tag ?? ''}-${i}`;
  logger.emit({ body: `record ${i} of ${subject}`, attributes: { 'user.id': subject } });
  if (i % 50 === 49 && i % 1000 < 900) await yieldToEventLoop();
  if (i % 200 === 199) {
    await sleep(2); // lets the thread pool's callbacks and the commits run
    process.stdout.write(`durable ${audit.wal.durableSeq}\n`);
  }
}
