import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentFileName } from '../../src/wal/format.ts';
import { makeTempDir } from '../../src/wal/testutil/tmpdir.ts';
import { frameLocations, payloadFor } from '../../src/wal/testutil/frames.ts';
import { Wal } from '../../src/wal/Wal.ts';
import { auditWalConfigSchema, createDefaultAuditWalConfig } from './config.ts';
import { walOptionsFrom } from './AuditWalExporter.ts';
import { auditWalExporterFactory } from './factory.ts';

const silent = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A WAL of 20 acknowledged records (high-water mark 20 after the close) whose segment is then cut after record 14. */
async function walShortOfItsMark(): Promise<string> {
  const { dir, cleanup } = makeTempDir('otel-audit-hwm-');
  cleanups.push(cleanup);
  const wal = Wal.open({ dir, preallocate: 'off' });
  for (let i = 1; i <= 20; i++) await wal.append(payloadFor('r', i));
  await wal.close();
  const seg = path.join(dir, segmentFileName(1));
  const f15 = frameLocations(fs.readFileSync(seg)).find((f) => f.seq === 15);
  fs.truncateSync(seg, f15?.offset ?? 0);
  return dir;
}

describe('audit_wal accept_lost_records_through_seq', () => {
  it('is validated: an integer >= 1, unset by default', () => {
    const base = createDefaultAuditWalConfig();
    expect(base.accept_lost_records_through_seq).toBeUndefined();
    expect(auditWalConfigSchema.safeParse(base).success).toBe(true);
    for (const bad of [0, 1.5, '20', -1])
      expect(auditWalConfigSchema.safeParse({ ...base, accept_lost_records_through_seq: bad }).success).toBe(
        false,
      );
    expect(auditWalConfigSchema.safeParse({ ...base, accept_lost_records_through_seq: 20 }).success).toBe(
      true,
    );
  });

  it('reaches the WAL: without it the start fails with WAL_CORRUPT, with the mark it starts and numbers on after it', async () => {
    const dir = await walShortOfItsMark();
    const settings = { id: 'audit_wal', baseDir: '/', logger: silent };
    const config = { ...createDefaultAuditWalConfig(), directory: dir, preallocate: 'off' as const };
    const refused = auditWalExporterFactory.create(settings, config);
    await expect(refused.start()).rejects.toMatchObject({ code: 'WAL_CORRUPT' });
    const accepted = auditWalExporterFactory.create(settings, {
      ...config,
      accept_lost_records_through_seq: 20,
    });
    await accepted.start();
    const wal = (accepted as unknown as { wal: Wal }).wal;
    expect(wal.recovery.belowHighWaterMark).toEqual({ fromSeq: 15, toSeq: 20 });
    expect(wal.status().nextSeq).toBe(21);
    await accepted.shutdown();
  });
});

describe('audit_wal high_water_mark_interval_ms', () => {
  it('is validated (0 to an hour, default the WAL default) and reaches the WAL options', () => {
    const base = createDefaultAuditWalConfig();
    expect(base.high_water_mark_interval_ms).toBe(1000);
    for (const bad of [-1, 1.5, '100', 3_600_001])
      expect(auditWalConfigSchema.safeParse({ ...base, high_water_mark_interval_ms: bad }).success).toBe(
        false,
      );
    for (const good of [0, 250, 3_600_000])
      expect(auditWalConfigSchema.safeParse({ ...base, high_water_mark_interval_ms: good }).success).toBe(
        true,
      );
    const options = walOptionsFrom({ ...base, high_water_mark_interval_ms: 250 }, '/');
    expect(options.highWaterMarkIntervalMs).toBe(250);
    expect(options).not.toHaveProperty('acceptLostRecordsThroughSeq');
    expect(
      walOptionsFrom({ ...base, accept_lost_records_through_seq: 7 }, '/').acceptLostRecordsThroughSeq,
    ).toBe(7);
  });
});
