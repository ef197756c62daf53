/**
 * `processRecords`'s `keptPositions`: each kept record's place in the input, whatever mix of kept,
 * dropped (a processor returned false) and refused (it threw a PermanentError) records precedes it.
 * Built only once a record is not kept; absent when every record is.
 */
import { describe, expect, it } from 'vitest';
import { createAuditRecord, type AuditRecord } from '../record/AuditRecord.ts';
import { PermanentError } from './consumer.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import { processRecords } from './runRecordProcessors.ts';

/** Drops bodies `drop`, refuses bodies `refuse`, keeps the rest. */
const sorter: RecordProcessor = {
  mutates: false,
  process: (view) => {
    const body = view.getBody();
    if (body === 'refuse') throw new PermanentError('refused');
    return body !== 'drop';
  },
};

function records(...bodies: string[]): AuditRecord[] {
  return bodies.map((body) => createAuditRecord({ body }));
}

describe('processRecords: keptPositions', () => {
  it.each([
    [['a', 'b', 'c'], undefined],
    [
      ['a', 'drop', 'b'],
      [0, 2],
    ],
    [
      ['a', 'b', 'refuse', 'c'],
      [0, 1, 3],
    ],
    [
      ['drop', 'a', 'refuse', 'drop', 'b'],
      [1, 4],
    ],
    [
      ['a', 'b', 'drop'],
      [0, 1],
    ],
    [['drop', 'refuse'], []],
  ] as const)('%j: kept at %j', (bodies, expected) => {
    const input = records(...bodies);
    const out = processRecords(input, [sorter]);
    expect(out.keptPositions).toEqual(expected);
    const positions = out.keptPositions ?? input.map((_, i) => i);
    expect(out.kept).toEqual(positions.map((p) => input[p]));
  });
});
