/**
 * The chain checks of one stream (`audit.sequence.stream_id`) for `verifyWal`,
 * in bounded memory: the highest chain number seen, its hash, the Merkle tree
 * frontier, the state just before the last record (to settle a fork), and at
 * most `GAPS_MAX` pending gaps.
 *
 * Classifying needs a little look-ahead, so some findings are reported late,
 * under the WAL sequence number of the record they name:
 * - a gap in the chain numbers is a `deletion` only if the missing records do
 *   not turn up within `GAP_WINDOW` records; if one does, the first record
 *   that came too early is reported as `reorder`;
 * - two records with the same number that both link to the same predecessor
 *   (a fork): the one the next record (or checkpoint) does NOT continue from
 *   is the `insertion`.
 * After damage the checker continues from what is there, so one bad record is
 * reported once; at a checkpoint whose own frontier fits its root it resumes
 * from the checkpoint's state, so the records after it are checked again.
 */
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { OtelAuditError } from '../../../errors.ts';
import type { SignedCheckpoint } from '../../chain/checkpoint.ts';
import { equalBytes } from '../../merkle/hash.ts';
import { MerkleTree, type MerkleTreeState } from '../../merkle/MerkleTree.ts';
import type { DamageKind, StreamSummary } from '../VerifyReport.ts';
import { recordFacts, type BatchedFold, type ChainedFacts } from './recordFacts.ts';

/** Records a gap waits for its missing records before they count as deleted. */
export const GAP_WINDOW = 64;
/** Pending gaps per stream; the oldest is settled as a deletion when more arrive. */
export const GAPS_MAX = 64;
const RANGES_MAX = 64;

export type StreamReport = (
  kind: DamageKind,
  seq: number | undefined,
  chainNumber: number | undefined,
  message: string,
) => void;

export interface StreamCheckerOptions {
  readonly id: string;
  readonly report: StreamReport;
  /** Checkpoints of this stream published outside the host (trusted ones only). */
  readonly published?: readonly SignedCheckpoint[];
  readonly lostBetween?: (afterSeq: number, beforeSeq: number) => string | undefined;
}

interface Before {
  readonly head: Uint8Array | undefined;
  readonly tree: MerkleTreeState;
  readonly lastSeq: number;
}

interface Fork {
  readonly first: { readonly seq: number; readonly hash: Uint8Array };
  readonly second: { readonly seq: number; readonly hash: Uint8Array; readonly leaf: Uint8Array };
}

interface Gap {
  /** WAL seq and chain number of the record that came after the gap, and the seq of the one before it. */
  readonly seq: number;
  readonly afterSeq: number;
  readonly number: number;
  /** Missing chain numbers, as inclusive ranges. */
  missing: Array<[number, number]>;
  reordered: boolean;
}

/**
 * Lowercase hex of a hash ('' for none). The last conversion is remembered (hashes are never changed in
 * place once made). Per record, `isHexOf` compares without converting.
 */
let lastHexOf: Uint8Array | undefined;
let lastHex = '';
function hex(b: Uint8Array | undefined): string {
  if (b === undefined) return '';
  if (b !== lastHexOf) {
    lastHex = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
    lastHexOf = b;
  }
  return lastHex;
}

/** Char codes of the lowercase hex digits. */
const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * `s === hex(b)`, without making the hex string: every record's previous_hash is compared with the hash
 * of the record before it, a new hash each time (by its bytes instead when the facts carry them,
 * `ChainedFacts.prevHash`: 0.3 CPU-µs per record less again). The loop costs about what the conversion did (~0.19
 * CPU-µs per call in a micro-benchmark); the Buffer and 64-char string per record it no longer makes,
 * and their garbage collection, were ~0.25 main-thread CPU-µs per record of `verifyWalParallel`
 * (median of 11 interleaved runs, 3.41 -> 3.16).
 */
export function isHexOf(s: string, b: Uint8Array | undefined): boolean {
  if (b === undefined) return s === '';
  if (s.length !== 2 * b.length) return false;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i] as number;
    if (s.charCodeAt(2 * i) !== HEX_CODES[byte >> 4] || s.charCodeAt(2 * i + 1) !== HEX_CODES[byte & 15]) {
      return false;
    }
  }
  return true;
}

export class StreamChecker {
  readonly id: string;
  private readonly report: StreamReport;
  /** Highest chain number accepted; `head` is its hash. */
  private count = 0;
  private head: Uint8Array | undefined;
  private tree = new MerkleTree();
  private before: Before | undefined;
  private lastSeq = 0;
  private fork: Fork | undefined;
  private gaps: Gap[] = [];
  /**
   * The run of records of one batch appended by `advance` one after another with nothing else
   * changing the tree in between: a record whose batch already merged its leaf with the leaves of
   * the run before it (`BatchedFold`) is appended with `appendFolded`.
   */
  private run: { batch: object; from: number; next: number } | undefined;
  /** The tree holds records out of chain order (a reorder was reported): roots cannot match. */
  private disordered = false;
  private checkpoints = 0;
  private signed = 0;
  private lastCheckpointSize = 0;
  /** Records covered by a checkpoint that matched them and whose signature verified with a trusted key. */
  trustedSize = 0;
  /** Checkpoints published outside the host, by tree size, not yet compared. */
  private readonly published: SignedCheckpoint[];

  /** Says where frames between two WAL sequence numbers were lost to damage, if they were. */
  private readonly lostBetween: (afterSeq: number, beforeSeq: number) => string | undefined;

  constructor(o: StreamCheckerOptions) {
    this.id = o.id;
    this.report = o.report;
    this.published = [...(o.published ?? [])].sort((a, b) => b.checkpoint.treeSize - a.checkpoint.treeSize);
    this.lostBetween = o.lostBetween ?? (() => undefined);
  }

  get records(): number {
    return this.count;
  }

  get uncovered(): number {
    return this.count - this.lastCheckpointSize;
  }

  /** Checks one chained record; returns whether it was found modified (or has no canonical form). */
  record(seq: number, record: AuditRecord): { readonly modified: boolean } {
    const facts = recordFacts(record);
    if (facts.kind !== 'chained') throw new OtelAuditError('INVALID_ARGUMENT', 'not a chained record');
    return this.check(seq, facts);
  }

  /** `record`, given the facts computed from the record (possibly in another thread). */
  check(seq: number, facts: ChainedFacts): { readonly modified: boolean } {
    const n = facts.n;
    if (facts.noCanonicalForm !== undefined) {
      this.report('undecodable', seq, undefined, facts.noCanonicalForm);
      return { modified: true };
    }
    const { modified, hash, leaf } = facts;
    if (modified) {
      this.report(
        'modified',
        seq,
        Number.isSafeInteger(n) ? n : undefined,
        `record ${Number.isSafeInteger(n) ? n : '?'} of stream ${this.id} changed after it was chained: its content no longer matches audit.integrity.hash`,
      );
    }
    if (!Number.isSafeInteger(n) || n < 1) {
      this.report(
        'insertion',
        seq,
        undefined,
        `record without a valid audit.sequence.number in stream ${this.id}`,
      );
      return { modified };
    }
    const prevHex = facts.prevHex;
    if (this.fork) this.resolveFork(n === this.count + 1 ? prevHex : undefined);
    this.checkPublished();
    if (n === this.count + 1) {
      const linked =
        facts.prevHash === undefined
          ? isHexOf(prevHex, this.head)
          : this.head !== undefined && equalBytes(facts.prevHash, this.head);
      if (!linked) {
        this.report(
          'broken-link',
          seq,
          n,
          `record ${n}: audit.sequence.previous_hash does not match record ${this.count}'s hash`,
        );
      }
      this.advance(seq, n, hash, leaf, facts.batched);
    } else if (n > this.count + 1) {
      this.addGap(seq, n);
      this.advance(seq, n, hash, leaf, undefined);
    } else if (n === this.count && this.before && isHexOf(prevHex, this.before.head)) {
      this.fork = { first: { seq: this.lastSeq, hash: this.head ?? hash }, second: { seq, hash, leaf } };
    } else if (this.fillGap(seq, n)) {
      this.run = undefined;
      this.tree.appendLeafHash(leaf);
      this.disordered = true;
    } else {
      this.report(
        'insertion',
        seq,
        n,
        `record ${n} of stream ${this.id} appears again after record ${this.count}`,
      );
    }
    this.expireGaps(false);
    return { modified };
  }

  /**
   * Checks a checkpoint against the records before it. `trusted`: its signature verified with a
   * trusted key. Returns whether it matched the records.
   */
  checkpoint(seq: number, cp: SignedCheckpoint, trusted: boolean): boolean {
    const c = cp.checkpoint;
    this.checkpoints++;
    if (cp.algorithm !== 'none') this.signed++;
    if (this.fork) this.resolveFork(c.treeSize === this.count ? hex(c.chainHead) : undefined);
    this.checkPublished();
    let consistent = false;
    let damaged = false;
    const frontierFits = frontierMatches(cp);
    if (c.treeSize > this.count) {
      const lost = this.lostBetween(this.lastSeq, seq);
      this.report(
        'truncation',
        seq,
        this.count + 1,
        `checkpoint covers ${c.treeSize} records of stream ${this.id} but the chain before it ends at record ${this.count}: ${recordRange(this.count + 1, c.treeSize)} missing${lost === undefined ? '' : ` (${lost})`}`,
      );
      damaged = true;
    } else if (c.treeSize < this.count) {
      if (this.insertedBefore(cp)) {
        consistent = this.rootsMatch(cp);
      } else {
        this.report(
          'insertion',
          seq,
          c.treeSize + 1,
          `checkpoint for ${c.treeSize} records of stream ${this.id} stands after record ${this.count}: ${recordRange(c.treeSize + 1, this.count, ['was', 'were'])} inserted before it`,
        );
        // Not resynced: the records after it continue from record `count`.
      }
    } else if (this.tree.size !== c.treeSize || this.disordered) {
      damaged = true; // records missing or out of order, already reported: the root cannot match
    } else if (!this.rootsMatch(cp)) {
      this.report(
        'root-mismatch',
        seq,
        c.treeSize,
        `checkpoint at ${c.treeSize} of stream ${this.id}: its ${equalBytes(this.tree.root(), c.rootHash) ? 'chain head' : 'Merkle root'} does not match the records`,
      );
    } else {
      consistent = true;
    }
    if (consistent && !frontierFits) {
      this.report(
        'root-mismatch',
        seq,
        c.treeSize,
        `checkpoint at ${c.treeSize} of stream ${this.id}: its frontier does not match its root (a writer resuming from it replays the whole log)`,
      );
    }
    if (damaged && frontierFits) this.resync(cp);
    this.lastCheckpointSize = Math.max(this.lastCheckpointSize, c.treeSize);
    if (consistent && trusted) this.trustedSize = Math.max(this.trustedSize, c.treeSize);
    this.expireGaps(false);
    return consistent;
  }

  /** Settles what is pending at the end of the log. */
  finish(): void {
    if (this.fork) this.resolveFork(undefined);
    this.checkPublished();
    this.expireGaps(true);
    const last = this.published[0];
    if (last !== undefined) {
      const size = last.checkpoint.treeSize;
      this.report(
        'truncation',
        undefined,
        this.count + 1,
        `a published checkpoint covers ${size} records of stream ${this.id} but the WAL holds ${this.count}: ${recordRange(this.count + 1, size, ['was', 'were'])} cut`,
      );
    }
  }

  summary(): StreamSummary {
    return {
      streamId: this.id,
      records: this.count,
      checkpoints: this.checkpoints,
      signedCheckpoints: this.signed,
      lastCheckpointSize: this.lastCheckpointSize,
      rootHash: hex(this.tree.root()),
      chainHead: hex(this.head),
    };
  }

  /** Compares the published checkpoints for the current size with the records (while the chain is intact). */
  private checkPublished(): void {
    const size = this.tree.size;
    for (let p = this.published.at(-1); p && p.checkpoint.treeSize <= size; p = this.published.at(-1)) {
      this.published.pop();
      const intact = p.checkpoint.treeSize === size && size === this.count && !this.disordered;
      if (intact && !this.rootsMatch(p)) {
        this.report(
          'root-mismatch',
          this.lastSeq,
          size,
          `the published checkpoint at ${size} of stream ${this.id} does not match the records in the WAL: records before it were rewritten, removed or reordered`,
        );
      }
    }
  }

  /** `fold`: given only when the record continues the chain (n = count + 1). */
  private advance(
    seq: number,
    n: number,
    hash: Uint8Array,
    leaf: Uint8Array,
    fold: BatchedFold | undefined,
  ): void {
    this.before = { head: this.head, tree: this.tree.sharedState(), lastSeq: this.lastSeq };
    const run = this.run;
    const inRun =
      fold !== undefined && run !== undefined && run.batch === fold.batch && run.next === fold.index;
    if (
      inRun &&
      fold.levels > 0 &&
      fold.root !== undefined &&
      fold.index - run.from >= 2 ** fold.levels - 1 &&
      this.tree.size === n - 1
    ) {
      this.tree.appendFolded(leaf, fold.levels, fold.root);
    } else this.tree.appendLeafHash(leaf);
    if (inRun) run.next++;
    else this.run = fold && { batch: fold.batch, from: fold.index, next: fold.index + 1 };
    this.head = hash;
    this.count = n;
    this.lastSeq = seq;
  }

  private rootsMatch(cp: SignedCheckpoint): boolean {
    return (
      equalBytes(this.tree.root(), cp.checkpoint.rootHash) && hex(this.head) === hex(cp.checkpoint.chainHead)
    );
  }

  /** The last record is not covered by a checkpoint for the record before it: it was inserted. Rolls it back. */
  private insertedBefore(cp: SignedCheckpoint): boolean {
    const c = cp.checkpoint;
    const b = this.before;
    if (c.treeSize !== this.count - 1 || b === undefined || hex(b.head) !== hex(c.chainHead)) return false;
    this.report(
      'insertion',
      this.lastSeq,
      this.count,
      `record ${this.count} of stream ${this.id} stands before the checkpoint for ${c.treeSize} records: it was inserted`,
    );
    this.tree = MerkleTree.fromState(b.tree);
    this.run = undefined;
    this.head = b.head;
    this.count--;
    this.lastSeq = b.lastSeq;
    this.before = undefined;
    return true;
  }

  /** Continues from a checkpoint's state (after damage before it was reported). */
  private resync(cp: SignedCheckpoint): void {
    const c = cp.checkpoint;
    this.tree = MerkleTree.fromState({ size: c.treeSize, frontier: cp.frontier });
    this.run = undefined;
    this.head = c.chainHead;
    this.count = c.treeSize;
    this.before = undefined;
    this.disordered = false;
    // Records missing below the checkpoint did not turn up before it: they were deleted.
    for (const g of this.gaps) {
      this.settle({ ...g, missing: g.missing.filter(([, to]) => to <= c.treeSize) });
      g.missing = g.missing.filter(([, to]) => to > c.treeSize);
    }
    this.gaps = this.gaps.filter((g) => g.missing.length > 0);
  }

  /** Two records with the same number link to the same predecessor: the one the chain does not continue from was inserted. */
  private resolveFork(nextPrev: string | undefined): void {
    const f = this.fork;
    const b = this.before;
    this.fork = undefined;
    if (f === undefined || b === undefined) return;
    const n = this.count;
    if (nextPrev === hex(f.second.hash)) {
      this.report(
        'insertion',
        f.first.seq,
        n,
        `record ${n} of stream ${this.id} appears twice (WAL seq ${f.first.seq} and ${f.second.seq}); the chain continues from seq ${f.second.seq}, so the one at seq ${f.first.seq} was inserted`,
      );
      this.tree = MerkleTree.fromState(b.tree);
      this.run = undefined;
      this.tree.appendLeafHash(f.second.leaf);
      this.head = f.second.hash;
      this.lastSeq = f.second.seq;
    } else {
      this.report(
        'insertion',
        f.second.seq,
        n,
        `record ${n} of stream ${this.id} appears twice (WAL seq ${f.first.seq} and ${f.second.seq}); the one at seq ${f.second.seq} was inserted`,
      );
    }
  }

  private addGap(seq: number, n: number): void {
    this.gaps.push({
      seq,
      afterSeq: this.lastSeq,
      number: n,
      missing: [[this.count + 1, n - 1]],
      reordered: false,
    });
    if (this.gaps.length > GAPS_MAX) this.settle(this.gaps.shift());
  }

  /** A record that belongs in a pending gap arrived late: a reorder. */
  private fillGap(seq: number, n: number): boolean {
    for (const g of this.gaps) {
      const i = g.missing.findIndex(([from, to]) => from <= n && n <= to);
      if (i < 0) continue;
      const [from, to] = g.missing[i] as [number, number];
      const rest: Array<[number, number]> = [];
      if (from < n) rest.push([from, n - 1]);
      if (n < to && g.missing.length + rest.length < RANGES_MAX) rest.push([n + 1, to]);
      g.missing.splice(i, 1, ...rest);
      if (!g.reordered) {
        g.reordered = true;
        this.report(
          'reorder',
          g.seq,
          g.number,
          `record ${g.number} of stream ${this.id} appears before record ${n} (WAL seq ${g.seq} and ${seq}): records out of order`,
        );
      }
      if (g.missing.length === 0) this.gaps.splice(this.gaps.indexOf(g), 1);
      return true;
    }
    return false;
  }

  private expireGaps(all: boolean): void {
    while (this.gaps[0] && (all || this.count - this.gaps[0].number >= GAP_WINDOW)) {
      this.settle(this.gaps.shift());
    }
  }

  private settle(g: Gap | undefined): void {
    if (g === undefined) return;
    const lost = this.lostBetween(g.afterSeq, g.seq);
    for (const [from, to] of g.missing) {
      this.report(
        'deletion',
        g.seq,
        from,
        `${recordRange(from, to)} missing from stream ${this.id} before record ${g.number}${lost === undefined ? '' : ` (${lost})`}`,
      );
    }
  }
}

/** `record 7 is` or `records 7..9 are` (`verbs`: the singular and plural verb). */
export function recordRange(
  from: number,
  to: number,
  verbs: readonly [string, string] = ['is', 'are'],
): string {
  return from === to ? `record ${from} ${verbs[0]}` : `records ${from}..${to} ${verbs[1]}`;
}

/** The checkpoint's (unsigned) frontier is the tree its root hashes. */
function frontierMatches(cp: SignedCheckpoint): boolean {
  try {
    const tree = MerkleTree.fromState({ size: cp.checkpoint.treeSize, frontier: cp.frontier });
    return equalBytes(tree.root(), cp.checkpoint.rootHash);
  } catch {
    return false;
  }
}
