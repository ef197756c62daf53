/**
 * verify over a WAL that ends before its high-water mark (src/wal/HighWaterMark.ts): acknowledged records
 * are missing at the end (the newest segment deleted), or the mark file is unreadable. verify names that
 * as `records-lost`, not as storage damage of a frame (`bit-rot`), and fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { HIGH_WATER_MARK_FILE } from '../../wal/HighWaterMark.ts';
import { Wal } from '../../wal/Wal.ts';
import { verifyWal } from './verifyWal.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A WAL of `count` plain records over several small segments, closed cleanly (the mark names the last). */
async function walOf(count: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-verify-hwm-'));
  dirs.push(dir);
  const wal = Wal.open({ dir, segmentBytesMax: 8192, payloadBytesMax: 1024, preallocate: 'off' });
  try {
    for (let i = 0; i < count; i += 10) {
      await wal.appendBatch(
        Array.from({ length: 10 }, (_, k) => encodeRecord(createAuditRecord({ body: `record ${i + k}` }))),
      );
    }
  } finally {
    await wal.close();
  }
  return dir;
}

function segments(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort();
}

describe('verify and the WAL high-water mark', () => {
  it('an intact WAL with its mark verifies', async () => {
    const dir = await walOf(200);
    expect(fs.existsSync(path.join(dir, HIGH_WATER_MARK_FILE))).toBe(true);
    const report = verifyWal({ dir });
    expect(report.ok).toBe(true);
    expect(report.records).toBe(200);
  });

  it('the newest segment deleted: records-lost names the missing sequence numbers', async () => {
    const dir = await walOf(200);
    const all = segments(dir);
    expect(all.length).toBeGreaterThanOrEqual(2);
    const newest = all[all.length - 1] as string;
    const firstLost = Number(newest.slice(0, 20));
    fs.rmSync(path.join(dir, newest));
    const report = verifyWal({ dir });
    expect(report.ok).toBe(false);
    expect(report.records).toBe(firstLost - 1);
    const lost = report.issues.filter((i) => i.kind === 'records-lost');
    expect(lost).toHaveLength(1);
    expect(lost[0]?.seq).toBe(firstLost);
    expect(lost[0]?.message).toContain(`WAL sequence numbers ${firstLost}..200 were durable`);
    expect(report.issues.some((i) => i.kind === 'bit-rot')).toBe(false);
  });

  it('an unreadable mark file is reported as records-lost (cannot be told), and the records still verify', async () => {
    const dir = await walOf(50);
    fs.writeFileSync(path.join(dir, HIGH_WATER_MARK_FILE), 'not a high-water mark at all');
    const report = verifyWal({ dir });
    expect(report.ok).toBe(false);
    expect(report.records).toBe(50);
    expect(report.issues.map((i) => i.kind)).toEqual(['records-lost']);
    expect(report.issues[0]?.message).toMatch(/high-water-mark file is unreadable/);
  });
});
