/**
 * Restores the chain's state from the WAL at start: the last checkpoint gives
 * size, head and the Merkle frontier; the records after it are replayed
 * (their hashes recomputed and checked against their links). A crash
 * therefore never forks or breaks the chain: the next record continues from
 * exactly what is in the log. Records of another stream, or written before
 * chaining was enabled, are skipped. Memory is bounded whatever the WAL
 * holds: each record is hashed from its protobuf bytes without decoding it
 * (canonical/wireProjection.ts: a 64 KiB scratch, no object per element),
 * so a record beyond the element budget (verify's default, 2 Mi) is
 * re-hashed too — a note, not a problem (measured: 4.6 s of CPU and no RSS
 * growth for a 128 MiB frame of 67 M empty attributes). A payload the wire
 * projection declines (not the plain form the WAL writer writes) is decoded
 * within the budget as before (measured 0.35 GB peak RSS at start for a
 * record just within it); beyond it, its chain attributes are read from its
 * protobuf bytes in constant memory and its stored `audit.integrity.hash`
 * continues the chain (internal/chainFacts.ts), so a legitimate large record
 * does not break the chain.
 * A frame that cannot be read (not a record, a record frame beyond the budget
 * whose chain attributes do not read, an oversized checkpoint) is a problem,
 * never an out-of-memory abort of the start; a record frame not read, or a
 * damaged region the reader skips (a bad CRC in a sealed segment: opening the
 * WAL does not check those frame by frame), with no record of the stream after
 * it makes the chain `broken` (it may have held the stream's last record:
 * resuming before it would fork). A last checkpoint whose frontier does not
 * hash to its root is not resumed from: the stream is replayed from its first
 * seq, and is `broken` when fewer of its records than the checkpoint covers
 * stand before it (records gone unseen, e.g. the WAL's first segment removed).
 */
import { OtelAuditError } from '../../errors.ts';
import { FrameType } from '../../wal/format.ts';
import type { ReadDamage, WalReader } from '../../wal/WalReader.ts';
import { MerkleTree } from '../merkle/MerkleTree.ts';
import { checkRecordElementsMax, RECORD_ELEMENTS_MAX_DEFAULT } from '../verify/decodeStoredRecord.ts';
import { equalBytes } from '../merkle/hash.ts';
import { ChainState } from './ChainState.ts';
import { decodeSignedCheckpoint, type SignedCheckpoint } from './checkpoint.ts';
import { chainFacts, type ChainFacts } from './internal/chainFacts.ts';

export { attr } from './internal/chainFacts.ts';

export interface RecoveredChain {
  readonly chain: ChainState;
  /** Tree size at the last checkpoint found (0 if none). */
  readonly lastCheckpointSize: number;
  /** Records replayed after it. */
  readonly replayed: number;
  /** Problems met (a broken link, an unreadable checkpoint): the chain continues from what the log holds; `verify` names the damage. */
  readonly problems: readonly string[];
  /** What was read in a way to know of, not a problem: a record beyond the decode budget, read without decoding it. */
  readonly notes: readonly string[];
  /**
   * The log lost records of this stream (numbers skip or links break): the
   * chain cannot go on without forking, so the writer starts a new stream.
   */
  readonly broken: boolean;
  /**
   * The WAL seq the chain resumes after: its last record replayed, else the checkpoint it resumed from,
   * else `firstSeq - 1`. Records the WAL reports lost after it may have been the stream's (the writer
   * then starts a new stream; WalIntegrity).
   */
  readonly resumedAfterSeq: number;
}

export interface RecoverChainOptions {
  /** Protobuf elements a record may decode into; default `RECORD_ELEMENTS_MAX_DEFAULT` (verify's). */
  readonly recordElementsMax?: number;
  /**
   * The WAL seq at which the stream started (default 1): it has no record nor checkpoint before it,
   * so frames before it are not read for it. A stream started after damage (`<id>-r<seq>`) is not
   * broken by that damage, which it follows.
   */
  readonly firstSeq?: number;
}

export function recoverChain(
  reader: WalReader,
  streamId: string,
  options: RecoverChainOptions = {},
): RecoveredChain {
  const recordElementsMax = checkRecordElementsMax(options.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT);
  const firstSeq = options.firstSeq ?? 1;
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 1)
    throw new OtelAuditError('INVALID_ARGUMENT', `firstSeq must be an integer >= 1, got ${firstSeq}`);
  const problems: string[] = [];
  let last: { seq: number; cp: SignedCheckpoint } | undefined;
  const checkpoints = reader.records({
    fromSeq: firstSeq,
    types: [FrameType.CHECKPOINT],
    onDamage: () => undefined,
  });
  for (const f of checkpoints) {
    try {
      const cp = decodeSignedCheckpoint(f.payload);
      if (cp.checkpoint.streamId === streamId) last = { seq: f.seq, cp };
    } catch (err) {
      problems.push(`checkpoint at seq ${f.seq} is unreadable: ${String(err)}`);
    }
  }
  let chain = new ChainState(streamId);
  let fromSeq = firstSeq;
  let fromCheckpoint = false;
  /**
   * The last checkpoint when the chain cannot resume from it (its frontier does not hash to its root):
   * replayed from the start, the stream must still reach its tree size by its seq, or records are missing.
   */
  let unresumed: { seq: number; treeSize: number } | undefined;
  if (last) {
    const c = last.cp.checkpoint;
    const tree = { size: c.treeSize, frontier: last.cp.frontier };
    try {
      if (equalBytes(MerkleTree.fromState(tree).root(), c.rootHash)) {
        chain = new ChainState(streamId, { count: c.treeSize, head: c.chainHead, tree });
        fromSeq = last.seq + 1;
        fromCheckpoint = true;
      } else
        problems.push(
          `checkpoint at seq ${last.seq}: frontier does not match its root; replaying from the start`,
        );
    } catch (err) {
      problems.push(`checkpoint at seq ${last.seq}: ${String(err)}; replaying from the start`);
    }
    if (!fromCheckpoint) unresumed = { seq: last.seq, treeSize: c.treeSize };
  }
  const notes: string[] = [];
  let replayed = 0;
  let broken = false;
  let resumedAfterSeq = fromSeq - 1;
  /** The first frame not read (not decoded, or damaged) since the last record of this stream replayed. */
  let unread: string | undefined;
  // A damaged region (bad CRC, e.g. bit rot in a sealed segment, which opening the WAL does not check
  // frame by frame) is skipped by the reader: it may have held the stream's last records, so it counts
  // as a frame not read. Ignored, the chain resumed before the lost records and reused their numbers.
  const onDamage = (d: ReadDamage): void => {
    problems.push(`the damaged frame at ${d.segment} offset ${d.offset} (${d.reason}) was skipped`);
    unread ??= `the damaged frame at ${d.segment} offset ${d.offset} was skipped`;
  };
  /**
   * At the unresumed checkpoint's place: fewer records of the stream before it than it covers (those before
   * the WAL's oldest segment are gone unseen, e.g. a removed first segment) makes the chain `broken`: resumed
   * short of its tree size, new records would take numbers the checkpoint covers (a fork). Was ignored.
   */
  const passCheckpoint = (): void => {
    if (unresumed === undefined) return;
    if (chain.size < unresumed.treeSize) {
      broken = true;
      problems.push(
        `checkpoint at seq ${unresumed.seq} covers ${unresumed.treeSize} records of stream ${streamId} but only ${chain.size} were found before it: records of the stream are missing, so the chain is not resumed (new records would take their numbers)`,
      );
    }
    unresumed = undefined;
  };
  for (const f of reader.records({ fromSeq, types: [FrameType.RECORD], onDamage })) {
    if (unresumed !== undefined && f.seq > unresumed.seq) passCheckpoint();
    let facts: ChainFacts;
    try {
      // Bounded: a CRC-valid hostile frame must not exhaust memory at start (chainFacts.ts).
      facts = chainFacts(f, recordElementsMax);
    } catch (err) {
      problems.push(
        `record at seq ${f.seq} cannot be decoded: ${err instanceof Error ? err.message : String(err)}`,
      );
      unread ??= `record at seq ${f.seq} was not decoded`;
      continue;
    }
    const beyond = facts.beyondBudget;
    const read = !beyond
      ? ''
      : facts.rehashed
        ? `record at seq ${f.seq} is beyond recovery's decode budget (${beyond.message}): it was re-hashed from its protobuf bytes without decoding it`
        : `record at seq ${f.seq} is beyond recovery's decode budget (${beyond.message}): its chain attributes were read without decoding it`;
    if (facts.streamId !== streamId) {
      if (beyond) notes.push(`${read}; not a record of stream ${streamId}`);
      continue;
    }
    const hash = facts.hash();
    if (hash === undefined) {
      problems.push(`${read}, and it carries no valid audit.integrity.hash: its hash is not known`);
      unread ??= `record at seq ${f.seq} was not decoded`;
      continue;
    }
    if (beyond)
      notes.push(facts.rehashed ? read : `${read}; the chain continues from its stored audit.integrity.hash`);
    // A record of the stream follows: if the frame not decoded was one of its records, the numbers or
    // links below show the gap (broken); if they run on, it was not.
    unread = undefined;
    const number = facts.number;
    const prev = facts.previousHash;
    const expectedPrev = chain.head ? Buffer.from(chain.head).toString('hex') : undefined;
    if (number !== BigInt(chain.size + 1) || prev !== expectedPrev) {
      broken = true;
      problems.push(
        `record at seq ${f.seq}: chain number ${String(number)} / previous hash do not follow record ${chain.size}`,
      );
    }
    if (hash.modified)
      problems.push(
        `record at seq ${f.seq}: its audit.integrity.hash is not its recomputed hash (modified after it was chained); the chain continues from the stored one, as verify does`,
      );
    chain.adopt(hash.bytes);
    replayed++;
    resumedAfterSeq = f.seq;
  }
  passCheckpoint();
  if (unread !== undefined) {
    // Not read (damaged, not a record, or beyond the element budget without readable chain attributes or a
    // stored hash) and no record of the stream after it: it may be the stream's last record, and resuming
    // before it would give the next record its number (a fork).
    broken = true;
    problems.push(
      `${unread} and no record of stream ${streamId} follows it: it may be the stream's last record, so the chain is not resumed before it`,
    );
  }
  return {
    chain,
    lastCheckpointSize: last && fromCheckpoint ? last.cp.checkpoint.treeSize : 0,
    replayed,
    problems,
    notes,
    broken,
    resumedAfterSeq,
  };
}
