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
 * `firstIssue` is the issue at the lowest WAL sequence number (some kinds are
 * known only a few records later, see StreamChecker); `issues` are in that
 * order too.
 */
import { decodeRecord } from '../../record/walCodec.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import type { FileSystem } from '../../wal/fs/FileSystem.ts';
import type { KeyRing } from '../sign/KeyRing.ts';
import { recordFacts } from './internal/recordFacts.ts';
import { beginVerification } from './internal/WalVerification.ts';
import type { VerifyReport } from './VerifyReport.ts';

export { PROGRESS_FRAMES, PUBLISHED_FILES_MAX, STREAMS_MAX } from './internal/WalVerification.ts';

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
}

export function verifyWal(o: VerifyOptions): VerifyReport {
  const v = beginVerification(o);
  for (const f of v.reader.records({ onDamage: v.onDamage })) {
    v.frame(f.seq);
    if (f.type === FrameType.CHECKPOINT) v.checkpoint(f.seq, f.payload);
    else if (f.type === FrameType.RECORD) {
      let record: AuditRecord;
      try {
        record = decodeRecord(f.payload);
      } catch (err) {
        v.record(
          f.seq,
          { kind: 'undecodable', message: `record frame does not decode: ${String(err)}` },
          () => {
            throw err;
          },
        );
        continue;
      }
      v.record(f.seq, recordFacts(record), () => record);
    }
  }
  return v.finish();
}
