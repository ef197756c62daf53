/**
 * Test helper: a WAL of `recordCount` audit records (~200-byte bodies) written one per batch into 4 KiB
 * segments (so several are sealed), its segment file names, and fresh copies of it to damage.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { walCopier } from '../../wal/testutil/sealedWalCopies.ts';
import { writeWal } from './runCli.ts';

export interface SealedCliWal {
  /** The original's directory (read it, never damage it). */
  readonly original: string;
  /** Its segment file names, oldest first. */
  readonly segments: readonly string[];
  /** A fresh copy of the original (a new directory each call). */
  readonly copy: () => string;
}

/** Writes the WAL to `<parent>/original` (call from a test's `beforeAll`). */
export async function sealedCliWal(parent: string, recordCount: number): Promise<SealedCliWal> {
  const original = path.join(parent, 'original');
  const records = Array.from({ length: recordCount }, (_, i) =>
    createAuditRecord({ body: `e ${i} ${'x'.repeat(200)}` }),
  );
  await writeWal(original, records, { segmentBytesMax: 4096, batchRecords: 1 });
  const segments = readdirSync(original)
    .filter((n) => n.endsWith('.wal'))
    .sort();
  return { original, segments, copy: walCopier(parent, original) };
}
