import { describe, expect, it } from 'vitest';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { recordPayloadBytesUpperBound } from '../../record/payloadBytesBound.ts';
import { HeldBatches, type HeldBatch } from './HeldBatches.ts';

describe('HeldBatches: the byte bound of held batches', () => {
  it('a record the bound cannot be computed for (not a valid AuditRecord) counts 0 bytes: its batch is still held and released, and the count stays a number', async () => {
    // write(record) takes records from JavaScript callers; the exporter refuses an invalid one
    // (RecordInvalidError) when the batch goes down. Before, computing the bound threw (a batch
    // whose promise rejected: its waiters never settled, an unhandled rejection) or gave NaN (the
    // byte bound of the synchronous commit silently off for good).
    const released: HeldBatch[] = [];
    const held = new HeldBatches((batch) => {
      released.push(batch);
      return Promise.resolve(batch.records.map(() => undefined));
    }, true);
    const good = createAuditRecord({ body: 'good' });
    const missing = {
      ...createAuditRecord({ body: 'x' }),
      severityText: undefined,
    } as unknown as AuditRecord;
    const notAString = { ...createAuditRecord({ body: 'y' }), severityText: 5 } as unknown as AuditRecord;
    let settle = (): void => undefined;
    const flush = new Promise<void>((resolve) => (settle = resolve));
    const outcomes = [held.hold([good, missing], flush), held.hold([notAString, good], undefined)];
    expect(held.records).toBe(4);
    expect(held.bytes).toBe(2 * recordPayloadBytesUpperBound(good));
    settle();
    expect(await Promise.all(outcomes)).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    expect(released.map((b) => b.bytes)).toEqual([
      recordPayloadBytesUpperBound(good),
      recordPayloadBytesUpperBound(good),
    ]);
    expect([held.records, held.bytes]).toEqual([0, 0]);
  });
});
