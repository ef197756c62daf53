/**
 * decodeForVerify's payload cap: the same as decodeStoredRecord's, the WAL
 * writer's ceiling on payloadBytesMax. The payloads are zero pages of a
 * fresh Uint8Array, never touched when the cap refuses them.
 */
import { describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { RecordDecodeError } from '../../record/errors.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { catchError } from '../../otlp/testutil/wire.ts';
import { RECORD_PAYLOAD_BYTES_MAX } from '../../wal/options.ts';
import { STORED_PAYLOAD_BYTES_MAX } from './decodeStoredRecord.ts';
import {
  decodeForVerify,
  RecordPayloadTooLargeError,
  WAL_RECORD_PAYLOAD_BYTES_MAX,
} from './internal/decodeForVerify.ts';
import { factsOfPayload } from './internal/recordFacts.ts';

describe('decodeForVerify', () => {
  it('shares its payload cap with decodeStoredRecord: the WAL writer ceiling on payloadBytesMax', () => {
    expect(STORED_PAYLOAD_BYTES_MAX).toBe(RECORD_PAYLOAD_BYTES_MAX);
    // Restated in decodeForVerify.ts, which the verify workers load without src/wal/ (verifyWorker.ts).
    expect(WAL_RECORD_PAYLOAD_BYTES_MAX).toBe(RECORD_PAYLOAD_BYTES_MAX);
    expect(RECORD_PAYLOAD_BYTES_MAX).toBe(128 * 1024 * 1024);
  });

  it('refuses a payload over the cap as damage (RECORD_DECODE) before decoding it', () => {
    const payload = new Uint8Array(RECORD_PAYLOAD_BYTES_MAX + 1);
    payload.set(encodeRecord(createAuditRecord({ body: 'a record, then zeros' })));
    const error = catchError(() => decodeForVerify(payload, Infinity));
    expect(error).toBeInstanceOf(RecordPayloadTooLargeError);
    expect(error).toBeInstanceOf(RecordDecodeError);
    expect(error).toMatchObject({ code: 'RECORD_DECODE', payloadBytes: RECORD_PAYLOAD_BYTES_MAX + 1 });
    expect((error as Error).message).toBe(
      `record of ${RECORD_PAYLOAD_BYTES_MAX + 1} bytes, more than the WAL writer ever stores (payloadBytesMax is at most ${RECORD_PAYLOAD_BYTES_MAX}): damaged, not decoded`,
    );
  });

  it('decodes a payload at the cap (its content decides)', () => {
    const payload = new Uint8Array(RECORD_PAYLOAD_BYTES_MAX);
    const error = catchError(() => decodeForVerify(payload, Infinity));
    expect(error).toBeInstanceOf(RecordDecodeError);
    expect(error).not.toBeInstanceOf(RecordPayloadTooLargeError);
  });

  it('verify reports such a record undecodable, saying why (the issue carries its WAL seq)', () => {
    const facts = factsOfPayload(new Uint8Array(RECORD_PAYLOAD_BYTES_MAX + 1), Infinity);
    expect(facts).toEqual({
      kind: 'undecodable',
      message: expect.stringContaining(
        `record of ${RECORD_PAYLOAD_BYTES_MAX + 1} bytes, more than the WAL writer ever stores`,
      ) as unknown,
    });
  });
});
