import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OtelAuditError } from '../errors.ts';
import { createAuditRecord, createAuditResource, createAuditScope } from './AuditRecord.ts';
import { RecordDecodeError, RecordInvalidError } from './errors.ts';
import { recordArb } from './testutil/arbitraries.ts';
import { resolveDecodeLimits } from './DecodeLimits.ts';
import { RECORD_ENCODING_VERSION, WAL_DECODE_LIMITS, decodeRecord, encodeRecord } from './walCodec.ts';
import { encodeOtlpLogsProtobuf } from '../otlp/protobufCodec.ts';
import { catchError } from '../otlp/testutil/wire.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('WAL record encoding', () => {
  it('round-trips any record exactly, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(recordArb(), (record) => {
        const payload = encodeRecord(record);
        expect(payload[0]).toBe(RECORD_ENCODING_VERSION);
        const decoded = decodeRecord(payload);
        expect(decoded).toEqual(record);
        expect(hex(encodeRecord(decoded))).toBe(hex(payload));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps absent body, empty body and empty containers apart', () => {
    for (const body of [undefined, null, [], { values: [] }, '', new Uint8Array(0), 0n, -0, 0]) {
      const decoded = decodeRecord(encodeRecord(createAuditRecord({ body })));
      expect(decoded.body).toEqual(body);
      expect(Object.is(decoded.body, body) || typeof body === 'object').toBe(true);
    }
  });

  it('matches the documented golden payload', () => {
    const record = createAuditRecord({
      resource: createAuditResource({ attributes: [{ key: 'service.name', value: 'svc' }] }),
      scope: createAuditScope({ name: 'lib' }),
      timeUnixNano: 1n,
      severityNumber: 9,
      body: 'hi',
      attributes: [{ key: 'n', value: -1n }],
      traceId: '0102030405060708090a0b0c0d0e0f10',
      spanId: '0102030405060708',
    });
    const payload = encodeRecord(record);
    const golden = [
      '01', // encoding version
      '0a 63', // LogsData.resource_logs (field 1, LEN), 99 bytes
      '0a 17', //   ResourceLogs.resource, 23 bytes
      '0a 15 0a 0c 736572766963652e6e616d65 12 05 0a 03 737663', //     attributes: service.name = "svc"
      '12 48', //   ResourceLogs.scope_logs, 72 bytes
      '0a 05 0a 03 6c6962', //     ScopeLogs.scope { name: "lib" }
      '12 3f', //     ScopeLogs.log_records, 63 bytes
      '09 0100000000000000', //       time_unix_nano = 1 (fixed64)
      '10 09', //       severity_number = 9
      '2a 04 0a 02 6869', //       body { string_value: "hi" }
      '32 10 0a 01 6e 12 0b 18 ffffffffffffffffff01', //       attributes: n = int -1
      '4a 10 0102030405060708090a0b0c0d0e0f10', //       trace_id
      '52 08 0102030405060708', //       span_id
    ];
    // the same bytes are shown in docs/record-encoding.md, "Example"
    expect(hex(payload)).toBe(golden.join('').replaceAll(' ', ''));
    expect(decodeRecord(payload)).toEqual(record);
  });

  it('writes NaN as the canonical quiet NaN and keeps -0', () => {
    const nanBits = Buffer.from(new Float64Array([NaN]).buffer).toString('hex');
    expect(nanBits).toBe('000000000000f87f');
    expect(hex(encodeRecord(createAuditRecord({ body: NaN })))).toBe(`010a0f120d120b2a0921${nanBits}`);
    expect(hex(encodeRecord(createAuditRecord({ body: -0 })))).toBe('010a0f120d120b2a09210000000000000080');
  });

  it('refuses to encode an invalid record', () => {
    expect(() => encodeRecord(createAuditRecord({ traceId: 'ABC' }))).toThrow(RecordInvalidError);
  });

  it('rejects garbage with RecordDecodeError, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeRecord(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(RecordDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rejects every truncation and bit flip of a valid payload with RecordDecodeError or decodes it', () => {
    fc.assert(
      fc.property(recordArb(), fc.nat(), fc.nat(7), (record, at, bit) => {
        const payload = encodeRecord(record);
        const cut = payload.subarray(0, at % payload.length);
        const flipped = payload.slice();
        const index = 1 + (at % (payload.length - 1 || 1));
        flipped[index] = (flipped[index] ?? 0) ^ (1 << bit);
        for (const damaged of [cut, flipped]) {
          try {
            decodeRecord(damaged);
          } catch (error) {
            expect(error).toBeInstanceOf(RecordDecodeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('decodes stored records under its own limits only: unbounded but for one record and the depth ceiling', () => {
    // Stored records must always decode, whatever DEFAULT_DECODE_LIMITS becomes for other callers.
    expect(WAL_DECODE_LIMITS).toEqual({
      recordCountMax: 1,
      attributeCountMax: Infinity,
      arrayLengthMax: Infinity,
      anyValueDepthMax: 32,
      stringBytesMax: Infinity,
      bytesLengthMax: Infinity,
      elementCountMax: Infinity,
    });
    const attributes = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: [i % 2 === 0, 'v'] }));
    const record = createAuditRecord({ attributes });
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
  });

  it('limits overrides: a partial set and the same limits given whole (resolved once, reused) decode alike', () => {
    const attributes = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: i }));
    const payload = encodeRecord(createAuditRecord({ attributes }));
    const whole = resolveDecodeLimits({ ...WAL_DECODE_LIMITS, attributeCountMax: 10 });
    for (const limits of [{ attributeCountMax: 10 }, whole, { ...whole }]) {
      expect(() => decodeRecord(payload, { limits })).toThrow(/attributeCountMax = 10/);
    }
    const roomy = resolveDecodeLimits({ ...WAL_DECODE_LIMITS, elementCountMax: 1000 });
    expect(decodeRecord(payload, { limits: roomy }).attributes).toHaveLength(20);
    expect(() => decodeRecord(payload, { limits: { ...roomy, bogus: 1 } as never })).toThrow(
      /no limit named 'bogus'/,
    );
  });

  it('names the problem: empty payload, unknown version, wrong record count', () => {
    expect(() => decodeRecord(new Uint8Array(0))).toThrow(/empty record payload/);
    expect(() => decodeRecord(Uint8Array.of(2, 0))).toThrow(/unsupported record encoding version 2/);
    expect(() => decodeRecord(Uint8Array.of(1))).toThrow(/holds 0 log records, expected exactly 1/);
    const two = encodeOtlpLogsProtobuf([createAuditRecord(), createAuditRecord()]);
    const payload = new Uint8Array([1, ...two]);
    const error = catchError(() => decodeRecord(payload));
    expect(error).toBeInstanceOf(RecordDecodeError);
    expect((error as OtelAuditError).code).toBe('RECORD_DECODE');
  });

  it('reports the path of a malformed field inside the payload', () => {
    const payload = encodeRecord(createAuditRecord({ traceId: '0102030405060708090a0b0c0d0e0f10' }));
    // shorten the trace_id field's length byte from 16 to 15 and drop its last byte: a 15-byte id
    const text = hex(payload).replace(
      '4a100102030405060708090a0b0c0d0e0f10',
      '4a0f0102030405060708090a0b0c0d0e0f',
    );
    const damaged = Buffer.from(text, 'hex');
    // fix the enclosing lengths (each one byte shorter)
    damaged[2] = (damaged[2] as number) - 1;
    const error = catchError(() => decodeRecord(fixLengths(damaged)));
    expect(error).toBeInstanceOf(RecordDecodeError);
    expect((error as RecordDecodeError).path).toBe('resourceLogs[0].scopeLogs[0].logRecords[0].traceId');
  });
});

/** For the single-record payload above: LogsData → ResourceLogs → ScopeLogs → LogRecord lengths, one byte each. */
function fixLengths(bytes: Uint8Array): Uint8Array {
  // layout: 01 0a L1 12 L2 12 L3 <record>, with empty resource and scope omitted
  const out = bytes.slice();
  const recordLength = out.length - 7;
  out[6] = recordLength;
  out[4] = recordLength + 2;
  out[2] = recordLength + 4;
  return out;
}
