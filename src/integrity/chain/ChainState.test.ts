/**
 * ChainState.link against the plain definition: the record's attributes
 * without the chain-owned ones, then stream_id, number and previous_hash,
 * hashed by `recordHashHex` (the general projection writer). The chain writes
 * its own entries from kept bytes (internal/chainTail.ts); these tests hold
 * the two together over arbitrary records, stream ids, numbers and heads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { anyValueArb, keyArb, recordArb, stringArb } from '../../record/testutil/arbitraries.ts';
import { CanonicalEncodingError } from '../canonical/CanonicalEncodingError.ts';
import { recordHashHex } from '../canonical/projection.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
} from '../names.ts';
import { CHAIN_OWNED_ATTRIBUTES, ChainState, type ChainSnapshot } from './ChainState.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Keys that make the chain's own entries start the list, follow only excluded ones, or replace old ones. */
const chainKeyArb = fc.oneof(
  keyArb,
  fc.constantFrom('audit.integrity.hash', 'audit.integrity.other', ...CHAIN_OWNED_ATTRIBUTES, 'audit.x'),
);
const attributesArb: fc.Arbitrary<KeyValue[]> = fc.array(
  fc.record({ key: chainKeyArb, value: anyValueArb }),
  {
    maxLength: 5,
  },
);
const streamIdArb = fc.oneof(
  stringArb,
  fc.constantFrom('bench', 's-r73', 'a"b\\c\n', 'é😀', 'x'.repeat(100), `${'h'.repeat(70)}"`),
);
/** Numbers of records already in the chain: small ones, around 2^31 (digits past int32), up to 2^53 - 2. */
const countArb = fc.oneof(
  fc.nat(1000),
  fc.integer({ min: 2 ** 31 - 3, max: 2 ** 31 + 3 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }),
);

function snapshotOf(count: number, head: Uint8Array): ChainSnapshot | undefined {
  if (count === 0) return undefined;
  const frontier = Array.from(count.toString(2).replaceAll('0', ''), () => head);
  return { count, head, tree: { size: count, frontier } };
}

/** What link must give: the list's own entries, then the chain's, hashed by the general writer. */
function expectedLink(record: AuditRecord, streamId: string, count: number, head: Uint8Array) {
  const attributes: KeyValue[] = record.attributes.filter((kv) => !CHAIN_OWNED_ATTRIBUTES.includes(kv.key));
  attributes.push({ key: ATTR_SEQUENCE_STREAM_ID, value: streamId });
  attributes.push({ key: ATTR_SEQUENCE_NUMBER, value: BigInt(count + 1) });
  if (count > 0) attributes.push({ key: ATTR_SEQUENCE_PREVIOUS_HASH, value: hex(head) });
  return { ...record, attributes };
}

function outcome(fn: () => string): { hash: string } | { error: string } {
  try {
    return { hash: fn() };
  } catch (error) {
    if (!(error instanceof CanonicalEncodingError)) throw error;
    return { error: `${error.problem} ${error.path}` };
  }
}

describe('ChainState.link', () => {
  it('hashes as the general projection writer does the record with its chain attributes', () => {
    fc.assert(
      fc.property(
        recordArb(),
        attributesArb,
        streamIdArb,
        countArb,
        hash32,
        (base, attributes, streamId, count, head) => {
          const record: AuditRecord = { ...base, attributes };
          const expected = expectedLink(record, streamId, count, head);
          const want = outcome(() => recordHashHex(expected));
          const chain = new ChainState(streamId, snapshotOf(count, head));
          const got = outcome(() => hex(chain.link(record)));
          expect(got).toEqual(want);
          if ('hash' in got) {
            const last = record.attributes.at(-1);
            expect(last).toEqual({ key: ATTR_INTEGRITY_HASH, value: got.hash });
            expect(record.attributes.slice(0, -1)).toEqual(expected.attributes);
            expect(chain.size).toBe(count + 1);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('chains records: each previous_hash is the hash before it, each hash the general writer’s', () => {
    fc.assert(
      fc.property(fc.array(recordArb(), { minLength: 1, maxLength: 6 }), streamIdArb, (records, streamId) => {
        const chain = new ChainState(streamId);
        let previous: string | undefined;
        for (const [i, record] of records.entries()) {
          const got = outcome(() => hex(chain.link(record)));
          if (!('hash' in got)) return;
          const own = record.attributes.slice(0, -1);
          expect(own.at(-1)).toEqual(
            previous === undefined
              ? { key: ATTR_SEQUENCE_NUMBER, value: 1n }
              : { key: ATTR_SEQUENCE_PREVIOUS_HASH, value: previous },
          );
          expect(own.find((kv) => kv.key === ATTR_SEQUENCE_NUMBER)?.value).toBe(BigInt(i + 1));
          expect(got.hash).toBe(recordHashHex({ ...record, attributes: own }));
          previous = got.hash;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a stream id with a lone surrogate as the general writer does, with the path of its entry', () => {
    const record = createAuditRecord({ attributes: [{ key: 'a', value: 'b' }] });
    expect(outcome(() => hex(new ChainState('s\ud800').link(record)))).toEqual({
      error: 'lone-surrogate attributes[1].value.stringValue',
    });
  });
});
