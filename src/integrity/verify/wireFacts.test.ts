/**
 * verify's record facts from the wire-level projection (factsOfPayload, the
 * path that does not decode) are exactly those of decoding the record
 * (factsOfDecoded): chain attributes, hash, leaf, modified, signed — for
 * chained records, records changed after chaining, chain attributes of odd
 * kinds, and damaged payloads (where either both agree or the wire path
 * declined and decoding answered).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue } from '../../record/AnyValue.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { anyValueArb, recordArb } from '../../record/testutil/arbitraries.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { ChainState } from '../chain/ChainState.ts';
import { wireRecordHash } from '../canonical/wireProjection.ts';
import { factsOfDecoded, factsOfPayload, factsOfWire } from './internal/recordFacts.ts';

const ODD_KEYS = [
  'audit.sequence.stream_id',
  'audit.sequence.number',
  'audit.sequence.previous_hash',
  'audit.integrity.hash',
  'audit.integrity.value',
];

/** A chained record, maybe changed after it was chained, maybe with odd chain attributes prepended. */
const storedArb = fc
  .tuple(
    recordArb(),
    fc.boolean(),
    fc.array(fc.tuple(fc.constantFrom(...ODD_KEYS), anyValueArb), { maxLength: 2 }),
    fc.boolean(),
  )
  .map(([record, change, odd, chained]): Uint8Array => {
    const r: AuditRecord = { ...record, attributes: [...record.attributes] };
    if (chained) new ChainState('s').link(r);
    if (change) r.severityText += '!';
    const front = odd.map(([key, value]: [string, AnyValue]) => ({ key, value }));
    r.attributes = [...front, ...r.attributes];
    return encodeRecord(r);
  });

describe('record facts without decoding = record facts of the decoded record', () => {
  it('agree on chained, changed and odd records (all taken by the wire path)', () => {
    fc.assert(
      fc.property(storedArb, (payload) => {
        const wire = wireRecordHash(payload, Infinity);
        expect(wire).toBeDefined();
        expect(factsOfWire(wire as NonNullable<typeof wire>)).toStrictEqual(
          factsOfDecoded(payload, Infinity),
        );
      }),
      { numRuns: 800 },
    );
  });

  it('agree on damaged payloads, whichever path answers', () => {
    fc.assert(
      fc.property(
        storedArb.chain((p) =>
          fc.tuple(fc.constant(p), fc.nat(p.length - 1), fc.integer({ min: 0, max: 7 })),
        ),
        ([payload, at, bit]) => {
          const damaged = Uint8Array.from(payload);
          damaged[at] = (damaged[at] as number) ^ (1 << bit);
          expect(factsOfPayload(damaged, Infinity)).toStrictEqual(factsOfDecoded(damaged, Infinity));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
