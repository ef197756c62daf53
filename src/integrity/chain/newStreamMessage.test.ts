import { describe, expect, it } from 'vitest';
import { newStreamMessage, type NewStreamFacts } from './newStreamMessage.ts';

/** The WAL lost seqs 68..72 (a missing segment, reported by every open after the loss was accepted). */
const lost = { fromSeq: 68, toSeq: 72, kind: 'missing-segment' };
const facts: NewStreamFacts = {
  streamId: 's',
  next: 's-r73',
  records: 55,
  resumedAfterSeq: 67,
  lost,
  walLastSeq: 72,
};

describe('newStreamMessage', () => {
  it('a loss that is the WAL’s newest frames: the stream lost records (the line as before)', () => {
    expect(newStreamMessage(facts)).toBe('chain s lost records; continuing as new stream s-r73');
  });

  it('another reason (broken chain, published checkpoint): the line as before', () => {
    expect(newStreamMessage({ ...facts, lost: undefined, walLastSeq: 90 })).toBe(
      'chain s lost records; continuing as new stream s-r73',
    );
  });

  it('an earlier loss that frames of another stream follow (stream_id removed): not a new loss', () => {
    // s-r73 took records 73..87 after the loss; its stream_id file removed, s was read again.
    expect(newStreamMessage({ ...facts, next: 's-r88', walLastSeq: 87 })).toBe(
      'chain s ends at WAL seq 67, before seqs 68..72 (missing-segment) the WAL lost earlier (frames 73..87 after it are not of this stream): not a new loss, but records of s may have been among them; continuing as new stream s-r88',
    );
  });

  it('a stream with no record in the WAL (another stream_id configured): an earlier loss, not its own', () => {
    expect(
      newStreamMessage({
        ...facts,
        streamId: 't',
        next: 't-r92',
        records: 0,
        resumedAfterSeq: 0,
        walLastSeq: 91,
      }),
    ).toBe(
      'chain t has no record in the WAL, which lost seqs 68..72 (missing-segment) before frames 73..91 of other streams: an earlier loss, not a new one, but records of t may have been among them; starting as new stream t-r92',
    );
  });

  it('one frame after the loss is enough to call it earlier', () => {
    expect(newStreamMessage({ ...facts, walLastSeq: 73 })).toContain('frames 73..73 after it');
  });
});
