import { describe, expect, it } from 'vitest';
import { formatTimeUnixNano, parseTimeUnixNano, UINT64_MAX } from './internal/time.ts';

describe('command-line times', () => {
  it.each([
    ['2026-11-26T10:00:00Z', 1_795_687_200_000_000_000n],
    ['2026-11-26t10:00:00z', 1_795_687_200_000_000_000n],
    ['2026-11-26 10:00:00Z', 1_795_687_200_000_000_000n],
    ['2026-11-26T10:00:00.5Z', 1_795_687_200_500_000_000n],
    ['2026-11-26T10:00:00.000000001Z', 1_795_687_200_000_000_001n],
    ['2026-11-26T10:00:00.123456789Z', 1_795_687_200_123_456_789n],
    ['2026-11-26T11:30:00+01:30', 1_795_687_200_000_000_000n],
    ['2026-11-26T05:00:00.25-05:00', 1_795_687_200_250_000_000n],
    ['1970-01-01T00:00:00Z', 0n],
    ['2024-02-29T00:00:00Z', 1_709_164_800_000_000_000n],
    ['2554-07-21T23:34:33.709551615Z', UINT64_MAX],
    ['0', 0n],
    ['1795687200000000000', 1_795_687_200_000_000_000n],
    ['18446744073709551615', UINT64_MAX],
  ])('parses %s', (text, ns) => {
    expect(parseTimeUnixNano(text)).toBe(ns);
  });

  it.each([
    ['2026-11-26', /RFC 3339/],
    ['2026-11-26T10:00:00', /RFC 3339/],
    ['2026-11-26T10:00Z', /RFC 3339/],
    ['-1', /RFC 3339/],
    ['1.5', /RFC 3339/],
    ['2026-11-26T10:00:00.1234567890Z', /9 fractional digits/],
    ['2026-13-01T00:00:00Z', /month 13/],
    ['2025-02-29T00:00:00Z', /day 29 does not exist in 2025-02/],
    ['2026-04-31T00:00:00Z', /day 31/],
    ['2026-11-26T24:00:00Z', /out of range/],
    ['2026-12-31T23:59:60Z', /out of range/],
    ['2026-11-26T10:00:00+24:00', /offset/],
    ['1969-12-31T23:59:59.999999999Z', /before the Unix epoch/],
    ['2554-07-21T23:34:33.709551616Z', /beyond the largest time/],
    ['18446744073709551616', /beyond the largest time/],
  ])('rejects %s', (text, message) => {
    const result = parseTimeUnixNano(text);
    expect(typeof result).toBe('string');
    expect(result).toMatch(message);
  });

  it('formats RFC 3339 in UTC with exactly 9 fractional digits, and parses back', () => {
    for (const [ns, text] of [
      [0n, '1970-01-01T00:00:00.000000000Z'],
      [1_795_687_200_000_000_001n, '2026-11-26T10:00:00.000000001Z'],
      [1_795_687_200_123_456_789n, '2026-11-26T10:00:00.123456789Z'],
      [UINT64_MAX, '2554-07-21T23:34:33.709551615Z'],
    ] as const) {
      expect(formatTimeUnixNano(ns)).toBe(text);
      expect(parseTimeUnixNano(text)).toBe(ns);
    }
  });
});
