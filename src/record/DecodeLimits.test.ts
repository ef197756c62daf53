import { describe, expect, it } from 'vitest';
import { OtelAuditError } from '../errors.ts';
import { DEFAULT_DECODE_LIMITS, resolveDecodeLimits } from './DecodeLimits.ts';

describe('resolveDecodeLimits', () => {
  it('completes with the defaults', () => {
    expect(resolveDecodeLimits()).toEqual(DEFAULT_DECODE_LIMITS);
    expect(resolveDecodeLimits({ recordCountMax: 5, stringBytesMax: undefined })).toEqual({
      ...DEFAULT_DECODE_LIMITS,
      recordCountMax: 5,
    });
  });

  it('rejects unknown names and bad values', () => {
    const bad: Record<string, unknown>[] = [
      { recordCountMaxx: 1 },
      { recordCountMax: -1 },
      { attributeCountMax: 1.5 },
      { stringBytesMax: '10' },
      { anyValueDepthMax: 0 },
      { anyValueDepthMax: 33 },
    ];
    for (const limits of bad) {
      expect(() => resolveDecodeLimits(limits)).toThrow(OtelAuditError);
    }
    expect(() => resolveDecodeLimits({ recordCountMaxx: 1 } as Record<string, number>)).toThrow(
      "DecodeLimits has no limit named 'recordCountMaxx'",
    );
  });
});

describe('elementCountMax', () => {
  it('is unbounded by default and accepts a bound', () => {
    expect(DEFAULT_DECODE_LIMITS.elementCountMax).toBe(Infinity);
    expect(resolveDecodeLimits({ elementCountMax: 10 }).elementCountMax).toBe(10);
    expect(() => resolveDecodeLimits({ elementCountMax: -1 })).toThrow(OtelAuditError);
  });
});
