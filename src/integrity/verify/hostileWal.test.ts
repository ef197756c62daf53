/**
 * verify on a hostile WAL: a frame with a valid CRC whose payload is built to
 * exhaust memory (hundreds of thousands of empty attributes). verify must
 * report it as `unverifiable`, naming its WAL seq and why, and go on — in
 * bounded memory, in the main thread and in workers. The limits are set low
 * here so that a few MiB trip them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitsSchema } from '../../../receivers/otlp/config.ts';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { Wal } from '../../wal/Wal.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT, verifyWal } from './verifyWal.ts';
import { verifyWalParallel, workerHeapMbFor } from './verifyWalParallel.ts';
import { hostileRecordPayload } from './testutil/hostilePayload.ts';
import { writeOversizeFrameWal } from './testutil/oversizeFrameWal.ts';
import { WAL_FRAME_BYTES_MAX } from '../../wal/readOnly.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-hostile-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/**
 * A WAL: a record, a hostile frame of `attributes` empty attributes, a record. `decoded`: the frame has a
 * field the wire-level projection leaves to decoding (hostilePayload.ts), so it is decoded.
 */
async function hostileWal(name: string, attributes: number, decoded = false): Promise<string> {
  const dir = path.join(root, name);
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  try {
    await wal.append(encodeRecord(createAuditRecord({ body: 'before' })));
    await wal.append(hostileRecordPayload(attributes, decoded));
    await wal.append(encodeRecord(createAuditRecord({ body: 'after' })));
  } finally {
    await wal.close();
  }
  return dir;
}

let small: string;
beforeAll(async () => {
  small = await hostileWal('small', 50_000); // 100 KB
});

describe('a record beyond the element budget', () => {
  it('verifyWal reports it unverifiable, with its WAL seq and the limit, and checks the others', () => {
    const report = verifyWal({ dir: small, recordElementsMax: 10_000 });
    expect(report.ok).toBe(false);
    expect(report.records).toBe(3);
    expect(report.issues).toEqual([
      {
        kind: 'unverifiable',
        seq: 2,
        chainNumber: undefined,
        streamId: undefined,
        message:
          "record of 100013 bytes holds more than 10000 protobuf elements, verify's limit per record (recordElementsMax, --record-elements-max): not decoded, not verified",
      },
    ]);
    expect(report.firstIssue).toEqual(report.issues[0]);
  });

  it('verifyWalParallel reports the same', async () => {
    const expected = verifyWal({ dir: small, recordElementsMax: 10_000 });
    for (const batchRecords of [1, 1024]) {
      expect(
        await verifyWalParallel({ dir: small, workers: 1, batchRecords, recordElementsMax: 10_000 }),
      ).toEqual(expected);
    }
  });

  it('within the budget (the default) the same record is checked like any other', async () => {
    expect(verifyWal({ dir: small }).ok).toBe(true);
    expect((await verifyWalParallel({ dir: small, workers: 1 })).ok).toBe(true);
  });

  it('rejects a budget that is not a whole number from 1', () => {
    expect(() => verifyWal({ dir: small, recordElementsMax: 0 })).toThrow(/recordElementsMax/);
    expect(() => verifyWal({ dir: small, recordElementsMax: 1.5 })).toThrow(/recordElementsMax/);
  });
});

describe('a frame claiming more than any WAL writer writes (a valid CRC; sparse, ~1 MiB allocated)', () => {
  it('is bit rot at its WAL seq, saying so, and not read; the records around it are checked', async () => {
    const dir = path.join(root, 'oversize');
    const at = writeOversizeFrameWal(dir, {
      before: [encodeRecord(createAuditRecord({ body: 'before' }))],
      frameBytes: WAL_FRAME_BYTES_MAX + 1,
      after: [encodeRecord(createAuditRecord({ body: 'after' }))],
    });
    const report = verifyWal({ dir });
    expect(report).toMatchObject({ ok: false, frames: 2, records: 2, unchainedRecords: 2 });
    expect(report.issues).toEqual([
      {
        kind: 'bit-rot',
        seq: 2,
        chainNumber: undefined,
        streamId: undefined,
        message: `${at.segment}: bad-frame at offset ${at.offset}; WAL sequence numbers 2..2 affected (the frame there claims ${WAL_FRAME_BYTES_MAX + 1} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes: not read)`,
      },
    ]);
    expect(await verifyWalParallel({ dir, workers: 1 })).toEqual(report);
  });
});

describe('a worker that runs out of memory', () => {
  it('does not end verification: the records it held are reported unverifiable, saying why', async () => {
    // 1 Mi attributes (2 MiB) need ~60 MB to decode and far more to hash: a 32 MiB worker dies.
    const dir = await hostileWal('oom', 1024 * 1024, true);
    const report = await verifyWalParallel({
      dir,
      workers: 1,
      batchRecords: 1,
      recordElementsMax: Infinity,
      workerHeapMb: 32,
    });
    expect(report.ok).toBe(false);
    expect(report.records).toBe(3);
    const hostile = report.issues.find((i) => i.seq === 2);
    expect(hostile?.kind).toBe('unverifiable');
    expect(hostile?.message).toMatch(
      /^not verified: the worker thread checking the record at WAL seq 2 ran out of memory \(worker heap limit 32 MiB; --jobs 0/,
    );
    // The record before it was answered before the worker died; nothing is reported as damage.
    expect(report.issues.every((i) => i.kind === 'unverifiable' && i.seq !== 1)).toBe(true);
  });
});

describe('a record verified from its protobuf bytes (not decoded)', () => {
  it('needs no memory per element: a 32 MiB worker checks 1 Mi attributes', async () => {
    // The same frame as above without the field that makes the wire-level projection decline it.
    const dir = await hostileWal('no-oom', 1024 * 1024);
    const options = { dir, recordElementsMax: Infinity };
    const report = await verifyWalParallel({ ...options, workers: 1, batchRecords: 1, workerHeapMb: 32 });
    expect(report).toMatchObject({ ok: true, records: 3, unchainedRecords: 3, issues: [] });
    expect(verifyWal(options)).toEqual(report);
  });
});

describe('the default budget', () => {
  it("is the otlp receiver's default max_elements_per_request: every record it accepts verifies", () => {
    const receiverDefault = limitsSchema.parse({}).max_elements_per_request;
    expect(RECORD_ELEMENTS_MAX_DEFAULT).toBe(receiverDefault);
  });

  it('gives workers room for a record at the budget (measured peak ~600 MB) and is documented', () => {
    expect(workerHeapMbFor(RECORD_ELEMENTS_MAX_DEFAULT)).toBeGreaterThanOrEqual(1024);
    expect(workerHeapMbFor(Infinity)).toBeUndefined();
    const doc = fs.readFileSync(new URL('../../../docs/integrity.md', import.meta.url), 'utf8');
    expect(doc).toContain('--record-elements-max');
    expect(doc).toContain('2,097,152');
  });
});
