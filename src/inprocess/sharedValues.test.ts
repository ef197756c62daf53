/**
 * An application value that shares its parts (`a = [b, b]`, `b = [c, c]`, … 30 levels: 2^30 values
 * from 31 arrays) used to be copied into a tree of billions of values by `onEmit` (hours of CPU, then
 * out of memory). `onEmit` now refuses it within the WAL's `payload_bytes_max` in elements — no
 * storable record is refused, since each element takes at least one payload byte — and the
 * application's next records are written as before.
 */
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { tempDirsRemovedAfterEach } from '../cli/testutil/tempDirs.ts';
import { RecordInvalidError } from '../record/errors.ts';
import { createAuditLogging } from './createAuditLogging.ts';
import { inProcessConfig as configFor, storedRecords as stored } from './testutil/config.ts';

const tempDir = tempDirsRemovedAfterEach('otel-audit-shared-');

function sharedArray(levels: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = [v, v];
  return v;
}

describe('in process: a value that shares its parts', () => {
  it('is refused by emit within payload_bytes_max elements; later records are stored', async () => {
    const dir = tempDir();
    const audit = await createAuditLogging({ config: configFor(dir, '    payload_bytes_max: 65536') });
    const provider = new LoggerProvider({ processors: audit.processors });
    const logger = provider.getLogger('shared');
    logger.emit({ body: 'before' });
    let caught: unknown;
    try {
      // In the body: the SDK passes a body on as it is (an attribute value is walked by the SDK itself,
      // before any processor sees it).
      logger.emit({ body: { big: sharedArray(30) as string[] } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RecordInvalidError);
    expect((caught as Error).message).toMatch(/^body\.big.*more than 65536 values and key-values/);
    // A record as large as the WAL stores is still taken: 2^12 leaves, 8,191 elements.
    logger.emit({ body: sharedArray(12) as string[] });
    logger.emit({ body: 'after' });
    await audit.forceFlush();
    await provider.shutdown();
    const bodies = stored(dir).map((r) => r.body);
    expect(bodies).toHaveLength(3);
    expect(bodies[0]).toBe('before');
    expect(bodies[2]).toBe('after');
    expect(JSON.stringify(bodies[1]).match(/"x"/g)).toHaveLength(4096);
  }, 60_000);
});
