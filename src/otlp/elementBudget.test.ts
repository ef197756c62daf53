import { describe, expect, it, vi } from 'vitest';
import { DecodeLimitError } from '../record/errors.ts';
import { decodeOtlpLogsJson } from './jsonCodec.ts';
import { decodeOtlpLogsProtobuf, encodeOtlpLogsProtobuf } from './protobufCodec.ts';
import { ExportLogsServiceRequestType } from './internal/otlpRoot.ts';
import { createAuditRecord } from '../record/AuditRecord.ts';
import { catchError } from './testutil/wire.ts';

/** `n` empty `resourceLogs` entries: 2 bytes each on the wire, an object each once decoded. */
function emptyResourceLogs(n: number): Uint8Array {
  const bytes = new Uint8Array(2 * n);
  for (let i = 0; i < n; i++) bytes[2 * i] = 0x0a;
  return bytes;
}

describe('elementCountMax (decoding memory)', () => {
  it('refuses more messages than the budget in the wire scan, before protobufjs builds one', () => {
    const decode = vi.spyOn(ExportLogsServiceRequestType, 'decode');
    try {
      const error = catchError(() =>
        decodeOtlpLogsProtobuf(emptyResourceLogs(1001), { limits: { elementCountMax: 1000 } }),
      );
      expect(error).toBeInstanceOf(DecodeLimitError);
      expect((error as DecodeLimitError).limit).toBe('elementCountMax');
      expect((error as Error).message).toBe(
        'resourceLogs[1000]: too many elements (messages) (limit elementCountMax = 1000)',
      );
      expect(decode).not.toHaveBeenCalled();
    } finally {
      decode.mockRestore();
    }
    expect(decodeOtlpLogsProtobuf(emptyResourceLogs(1000), { limits: { elementCountMax: 1000 } })).toEqual(
      [],
    );
  });

  it('counts every message: records, bodies, attributes and their values', () => {
    // 1 resourceLogs + 1 scopeLogs + 1 record + 1 body + 2 KeyValues + 2 values = 8
    const bytes = encodeOtlpLogsProtobuf([
      createAuditRecord({
        body: 'b',
        attributes: [
          { key: 'a', value: 1n },
          { key: 'c', value: 'd' },
        ],
      }),
    ]);
    expect(decodeOtlpLogsProtobuf(bytes, { limits: { elementCountMax: 8 } })).toHaveLength(1);
    expect(() => decodeOtlpLogsProtobuf(bytes, { limits: { elementCountMax: 7 } })).toThrow(
      /logRecords\[0\]\.attributes\[1\]\.value: too many elements/,
    );
  });

  it('refuses more JSON objects and arrays than the budget before JSON.parse', () => {
    const text = JSON.stringify({ resourceLogs: Array.from({ length: 600 }, () => ({})) });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const error = catchError(() => decodeOtlpLogsJson(text, { limits: { elementCountMax: 600 } }));
      expect(error).toBeInstanceOf(DecodeLimitError);
      expect((error as Error).message).toMatch(
        /more than 600 JSON objects and arrays \(limit elementCountMax = 600\)/,
      );
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    // 1 top-level object + 1 array + 600 objects
    expect(decodeOtlpLogsJson(text, { limits: { elementCountMax: 602 } })).toEqual([]);
  });

  it('is unbounded by default (stored records must always decode again)', () => {
    expect(decodeOtlpLogsProtobuf(emptyResourceLogs(5000))).toEqual([]);
  });
});
