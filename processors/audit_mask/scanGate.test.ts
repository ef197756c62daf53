/**
 * The StringScanner's character-class pre-check (detectors/chars.ts) only
 * skips scanners that could not have matched: over random short strings built
 * from the detectors' alphabets, the spans are the same as with every scanner
 * always run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProblemList } from '../filter/match/problems.ts';
import { compileMask } from './compileMask.ts';
import { auditMaskConfigSchema } from './config.ts';
import {
  CLASS_ALL,
  CLASS_ALPHA,
  CLASS_ASSIGN,
  CLASS_AT,
  CLASS_COLON,
  CLASS_DIGIT,
  CLASS_UPPER,
  charClasses,
} from './detectors/chars.ts';
import { builtinScanners } from './detectors/builtin.ts';
import { KeyMatcher } from './engine/KeyMatcher.ts';
import { StringScanner } from './engine/StringScanner.ts';
import { DEFAULT_SENSITIVE_KEYS, DETECTOR_NAMES } from './config.ts';
import { maskConfig } from './testing.ts';

const PIECES = [
  '4111 1111 1111 1111',
  '+1 (415) 555-0123',
  '123-45-6789',
  'SSN: 123456789',
  '10.0.0.1',
  'fe80::1',
  '2001:db8::7334',
  'a@b.co',
  'DE89370400440532013000',
  'GB82WEST12345698765432',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
  'AKIAIOSFODNN7EXAMPLE',
  'ghp_' + 'a'.repeat(36),
  'xoxb-1234567890-abc',
  'Bearer abcdefgh123',
  'token=abc',
  'pwd: x',
];
const CHARS = '0123456789 -.()+:=@_/AaBbEeJjKkXxyZz\'"é€'.split('');
const text = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.constantFrom(...CHARS), fc.string({ maxLength: 4 })), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

describe('character-class pre-check', () => {
  it('charClasses sets exactly the classes of the ASCII characters present', () => {
    expect(charClasses('')).toBe(0);
    expect(charClasses('10.0.0.1')).toBe(CLASS_DIGIT);
    expect(charClasses('a@B')).toBe(CLASS_ALPHA | CLASS_AT | CLASS_UPPER);
    expect(charClasses('k=v')).toBe(CLASS_ALPHA | CLASS_ASSIGN);
    expect(charClasses('::')).toBe(CLASS_COLON | CLASS_ASSIGN);
    expect(charClasses('é€😀 -_')).toBe(0);
    expect(charClasses('Z9:@=')).toBe(CLASS_ALL);
  });

  it('finds the same spans as running every scanner', () => {
    const { plan } = compileMask(auditMaskConfigSchema.parse(maskConfig()), new ProblemList());
    const enabled = new Set(DETECTOR_NAMES);
    const ungated = new StringScanner(
      builtinScanners(enabled, new KeyMatcher(DEFAULT_SENSITIVE_KEYS)).map((s) => ({
        types: s.types,
        scan: s.scan,
      })),
    );
    fc.assert(
      fc.property(text, (t) => {
        expect(plan.scanner.scan(t)).toEqual(ungated.scan(t));
      }),
      { numRuns: 3000 },
    );
  });
});
