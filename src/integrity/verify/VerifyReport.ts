/**
 * What `verify` found. `kind` names the damage:
 * - `bit-rot`: a frame failed its CRC (the WAL layer: storage damage);
 * - `records-lost`: the WAL ends before its high-water mark (src/wal/HighWaterMark.ts): records it had
 *   made durable are missing — a cut or deleted newest segment, or damage that would otherwise pass for a
 *   torn final write — or the high-water-mark file itself is unreadable (then whether any are missing at
 *   the end cannot be told);
 * - `modified`: a record's content no longer matches its IntegrityHash;
 * - `deletion`: chain numbers skip (records removed);
 * - `insertion`: a record whose number or link does not fit where it stands;
 * - `reorder`: records present but out of order;
 * - `broken-link`: a record's previous_hash does not match its predecessor;
 * - `truncation`: a checkpoint covers more records than precede it;
 * - `root-mismatch`: a checkpoint's Merkle root or chain head does not match the records;
 * - `forged-signature`: a checkpoint or record signature does not verify;
 * - `unknown-key`: signed by a key that is not among the trusted ones;
 * - `unsigned`: a checkpoint without a signature while keys were given;
 * - `undecodable`: a record frame that is not a valid record;
 * - `unverifiable`: a record frame verify did not check: beyond its limits (`recordElementsMax`), or the
 *   worker thread checking it died (out of memory): not known to be damaged, not vouched for either;
 * - `too-many-streams`: a frame of a stream beyond the streams verify checks (`streamsMax`): not checked;
 * - `published-unreadable`: a file of the published-checkpoint directory that was not read: larger than a
 *   checkpoint can be (1 MiB), not a regular file, or not readable; the message names it and says which.
 */
export type DamageKind =
  | 'bit-rot'
  | 'records-lost'
  | 'modified'
  | 'deletion'
  | 'insertion'
  | 'reorder'
  | 'broken-link'
  | 'truncation'
  | 'root-mismatch'
  | 'forged-signature'
  | 'unknown-key'
  | 'unsigned'
  | 'undecodable'
  | 'unverifiable'
  | 'too-many-streams'
  | 'published-unreadable';

export interface VerifyIssue {
  readonly kind: DamageKind;
  /** WAL sequence number of the frame, when one is known. */
  readonly seq: number | undefined;
  /** Chain number (`audit.sequence.number`) concerned, when known. */
  readonly chainNumber: number | undefined;
  readonly streamId: string | undefined;
  readonly message: string;
}

export interface StreamSummary {
  readonly streamId: string;
  readonly records: number;
  readonly checkpoints: number;
  readonly signedCheckpoints: number;
  readonly lastCheckpointSize: number;
  readonly rootHash: string;
  readonly chainHead: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly frames: number;
  readonly records: number;
  /** Records carrying no chain attributes (written without `audit_chain`): CRC-checked only. */
  readonly unchainedRecords: number;
  readonly streams: readonly StreamSummary[];
  readonly firstIssue: VerifyIssue | undefined;
  readonly issues: readonly VerifyIssue[];
  /** Issues beyond the bound kept in `issues`. */
  readonly issuesOmitted: number;
  readonly warnings: readonly string[];
}
