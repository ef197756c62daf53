/**
 * Verification of a WAL directory, streaming, in bounded memory (O(log n)
 * per stream): recomputes every frame's CRC (the WAL reader), every record's
 * IntegrityHash and chain link, every checkpoint's Merkle root and chain
 * head, and every signature, and names the first bad record and the kind of
 * damage (internal/StreamChecker.ts classifies chain damage). Given the
 * checkpoints published outside the host (`publishedDir`), it also checks the
 * WAL against them, which catches a cut tail and a consistent rewrite.
 * What it cannot detect without an outside witness: a tail cut after the last
 * checkpoint published outside the host (docs/integrity.md, section 8.5).
 *
 * Each frame's CRC is checked once, while reading (sealed segments against
 * their footers, `openWalReadOnly({ verify: 'once' })`); when a sealed
 * segment does not match its footer, verification starts over with a `full`
 * open (every frame checked at open and again while reading), whose recovery
 * classifies the damage, so a damaged WAL is reported exactly as before.
 * `onProgress` then counts from 0 again.
 *
 * `firstIssue` is the issue at the lowest WAL sequence number (some kinds are
 * known only a few records later, see StreamChecker); `issues` are in that
 * order too.
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import type { FileSystem } from '../../wal/fs/FileSystem.ts';
import { WalSealedMismatchError } from '../../wal/readOnly.ts';
import type { KeyRing } from '../sign/KeyRing.ts';
import {
  checkRecordElementsMax,
  decodeForVerify,
  RECORD_ELEMENTS_MAX_DEFAULT,
} from './internal/decodeForVerify.ts';
import { factsOfPayload, type RecordFacts } from './internal/recordFacts.ts';
import { beginVerification } from './internal/WalVerification.ts';
import type { VerifyReport } from './VerifyReport.ts';

export { PROGRESS_FRAMES, PUBLISHED_FILES_MAX, STREAMS_MAX } from './internal/WalVerification.ts';
export { RECORD_ELEMENTS_MAX_DEFAULT } from './internal/decodeForVerify.ts';

export interface VerifyOptions {
  readonly dir: string;
  readonly fs?: FileSystem;
  /** Trusted public keys. Without any, signatures cannot be checked and signed checkpoints are reported. */
  readonly keys?: KeyRing;
  /** Issues kept in the report (the count of the rest is reported). Default 1000. */
  readonly issuesMax?: number;
  /** Called every `PROGRESS_FRAMES` frames with the frames read so far. */
  readonly onProgress?: (frames: number) => void;
  /** A directory of checkpoints published outside the host (`audit_sign` `publish_dir`): the WAL must match them. */
  readonly publishedDir?: string;
  /**
   * Streams (`audit.sequence.stream_id`) checked at most, default `STREAMS_MAX`: each costs a checker
   * in memory, so a hostile WAL with millions of stream ids must not grow memory without limit.
   * Records and checkpoints of further streams are reported as `too-many-streams`, not checked.
   */
  readonly streamsMax?: number;
  /**
   * Protobuf elements (messages) one record may decode into, default `RECORD_ELEMENTS_MAX_DEFAULT`
   * (2 Mi, the `otlp` receiver's default `max_elements_per_request`): bounds the memory a hostile
   * frame can make verify use. A record beyond it is reported `unverifiable`, not decoded.
   */
  readonly recordElementsMax?: number;
}

export function verifyWal(o: VerifyOptions): VerifyReport {
  try {
    return verifyWalOpenedAs(o, 'once');
  } catch (err) {
    // A sealed segment is damaged: start over with an open that walks every segment and classifies it.
    if (!(err instanceof WalSealedMismatchError)) throw err;
    return verifyWalOpenedAs(o, 'full', err);
  }
}

/**
 * `verifyWal` over the WAL opened with `walVerify`, without starting over: with `once`, a sealed segment
 * that does not match its footer throws `WalSealedMismatchError`. For tests that compare the two.
 */
export function verifyWalOpenedAs(
  o: VerifyOptions,
  walVerify: 'once' | 'full',
  /** With `full`: what a `once` run met, reported if the `full` open does not explain it (WalVerification.ts). */
  onceMismatch?: WalSealedMismatchError,
): VerifyReport {
  const elementsMax = checkRecordElementsMax(o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT);
  const v = beginVerification(o, walVerify, onceMismatch);
  for (const f of v.reader.records({ onDamage: v.onDamage })) {
    v.frame(f.seq);
    if (f.type === FrameType.CHECKPOINT) v.checkpoint(f.seq, f.payload);
    else if (f.type === FrameType.RECORD) {
      let decoded: AuditRecord | undefined;
      const facts: RecordFacts = factsOfPayload(f.payload, elementsMax, (r) => (decoded = r));
      // Asked for only for a chained record, which decoded.
      v.record(f.seq, facts, () => decoded ?? decodeForVerify(f.payload, elementsMax));
    }
  }
  return v.finish();
}
