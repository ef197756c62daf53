/**
 * A record's previous_hash crosses from a verify worker as the string and,
 * when it is 64 lowercase hex digits, as the 32 bytes it spells — which the
 * main thread compares with the predecessor's hash instead of the string. The
 * link verdict must be the string comparison's for any previous_hash.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FactsReader, packFacts, type PayloadBatch } from './internal/factsBatch.ts';
import type { ChainedFacts, RecordFacts } from './internal/recordFacts.ts';
import { StreamChecker } from './internal/StreamChecker.ts';

const head = new Uint8Array(randomBytes(32));
const headHex = Buffer.from(head).toString('hex');

/** Chained facts of record `n` with this hash and previous_hash. */
const factsOf = (n: number, hash: Uint8Array, prevHex: string): ChainedFacts => ({
  kind: 'chained',
  streamId: 's',
  n,
  noCanonicalForm: undefined,
  modified: false,
  hash,
  leaf: new Uint8Array(32).fill(n),
  prevHex,
  signed: false,
});

/** The facts of `facts` as they come out of a worker's packed batch. */
function throughBatch(facts: readonly RecordFacts[]): RecordFacts[] {
  const batch: PayloadBatch = {
    id: 0,
    bytes: new ArrayBuffer(facts.length),
    spans: new Uint32Array(2 * facts.length),
  };
  let i = 0;
  const packed = packFacts(batch, () => facts[i++] as RecordFacts);
  const reader = new FactsReader(packed);
  return facts.map((_, k) => reader.read(k));
}

/** Whether record 2 with `prevHex` after record 1 (hash `head`) is reported a broken link. */
function brokenLink(second: ChainedFacts): boolean {
  const kinds: string[] = [];
  const checker = new StreamChecker({ id: 's', report: (kind) => void kinds.push(kind) });
  checker.check(1, factsOf(1, head, ''));
  checker.check(2, second);
  return kinds.includes('broken-link');
}

describe('previous_hash through a packed batch', () => {
  it('carries the bytes of 64 lowercase hex digits, and the string itself whatever it is', () => {
    const [lower, upper, short, other] = throughBatch([
      factsOf(2, head, headHex),
      factsOf(3, head, headHex.toUpperCase()),
      factsOf(4, head, headHex.slice(2)),
      factsOf(5, head, `${headHex.slice(0, 63)}g`),
    ]) as ChainedFacts[];
    expect(lower).toMatchObject({ prevHex: headHex, prevHash: head });
    expect(upper).toMatchObject({ prevHex: headHex.toUpperCase(), prevHash: undefined });
    expect(short).toMatchObject({ prevHex: headHex.slice(2), prevHash: undefined });
    expect(other).toMatchObject({ prevHex: `${headHex.slice(0, 63)}g`, prevHash: undefined });
  });

  it('gives the link verdict of the string comparison, for any previous_hash', () => {
    const prevArb = fc.oneof(
      fc.constant(headHex),
      fc.constant(headHex.toUpperCase()),
      fc
        .nat({ max: 63 })
        .chain((i) =>
          fc.constantFrom(...'0123456789abcdefA').map((c) => headHex.slice(0, i) + c + headHex.slice(i + 1)),
        ),
      fc.string({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(prevArb, (prev) => {
        const direct = factsOf(2, new Uint8Array(32), prev);
        const packed = throughBatch([direct])[0] as ChainedFacts;
        expect(brokenLink(packed)).toBe(brokenLink(direct));
        expect(brokenLink(direct)).toBe(prev !== headHex);
      }),
      { numRuns: 500 },
    );
  });
});
