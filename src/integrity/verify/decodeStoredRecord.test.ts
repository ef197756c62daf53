import { describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { RecordDecodeError } from '../../record/errors.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { resolveWalOptions } from '../../wal/options.ts';
import {
  decodeStoredRecord,
  RECORD_ELEMENTS_MAX_DEFAULT,
  RecordBudgetError,
  STORED_PAYLOAD_BYTES_MAX,
  StoredPayloadTooLargeError,
} from './decodeStoredRecord.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT as VERIFY_DEFAULT } from './verifyWal.ts';
import { hostileRecordPayload } from './testutil/hostilePayload.ts';
import { catchError } from '../../otlp/testutil/wire.ts';

describe('decodeStoredRecord', () => {
  it('decodes a record within the budget', () => {
    const record = createAuditRecord({ body: 'ok', attributes: [{ key: 'a', value: 1n }] });
    expect(decodeStoredRecord({ seq: 1, payload: encodeRecord(record) }, 100)).toEqual(record);
  });

  it('refuses a record beyond the budget with RecordBudgetError naming the WAL seq', () => {
    const payload = hostileRecordPayload(1000);
    const error = catchError(() => decodeStoredRecord({ seq: 7, payload }, 999));
    expect(error).toBeInstanceOf(RecordBudgetError);
    expect(error).toMatchObject({ code: 'DECODE_LIMIT', seq: 7, recordElementsMax: 999 });
    expect((error as Error).message).toBe(
      `the record at WAL seq 7 (${payload.length} bytes) holds more than 999 protobuf elements, the limit per record (--record-elements-max): not decoded`,
    );
    // 1000 attributes + the resource, scope and record messages: 1003 elements.
    expect(decodeStoredRecord({ seq: 7, payload }, 1003).attributes).toHaveLength(1000);
  });

  it('refuses a payload larger than any the WAL writer stores as damage, before decoding it', () => {
    const payload = new Uint8Array(STORED_PAYLOAD_BYTES_MAX + 1); // zero pages, never touched
    payload[0] = 1;
    const error = catchError(() => decodeStoredRecord({ seq: 3, payload }, Infinity));
    expect(error).toBeInstanceOf(StoredPayloadTooLargeError);
    expect(error).toBeInstanceOf(RecordDecodeError);
    expect(error).toMatchObject({
      code: 'RECORD_DECODE',
      seq: 3,
      payloadBytes: STORED_PAYLOAD_BYTES_MAX + 1,
    });
    expect((error as Error).message).toBe(
      `the record at WAL seq 3 is ${STORED_PAYLOAD_BYTES_MAX + 1} bytes, more than the WAL writer ever stores (payloadBytesMax is at most ${STORED_PAYLOAD_BYTES_MAX}): damaged, not decoded`,
    );
  });

  it("the payload cap is the WAL writer's ceiling on payloadBytesMax", () => {
    const big = {
      dir: '/nonexistent',
      segmentBytesMax: 2 * STORED_PAYLOAD_BYTES_MAX,
      queueBytesMax: 2 * STORED_PAYLOAD_BYTES_MAX,
    };
    expect(resolveWalOptions({ ...big, payloadBytesMax: STORED_PAYLOAD_BYTES_MAX }).payloadBytesMax).toBe(
      STORED_PAYLOAD_BYTES_MAX,
    );
    expect(() => resolveWalOptions({ ...big, payloadBytesMax: STORED_PAYLOAD_BYTES_MAX + 1 })).toThrow(
      /payloadBytesMax must be an integer in \[0, 134217728\]/,
    );
  });

  it("shares verify's default budget", () => {
    expect(RECORD_ELEMENTS_MAX_DEFAULT).toBe(VERIFY_DEFAULT);
  });
});
