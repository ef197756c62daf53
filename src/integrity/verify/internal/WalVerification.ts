/**
 * The checks of `verifyWal` (see there), fed frame by frame in WAL order:
 * by `verifyWal` itself, or by `verifyWalParallel` with record facts
 * computed in worker threads. Opening it opens the WAL read-only and
 * reports what recovery found; `finish` settles what is pending.
 *
 * `walVerify` is how the WAL is opened (readOnly.ts): `once` (each frame's
 * CRC checked once, by the reader; a sealed segment that does not match its
 * footer throws `WalSealedMismatchError` while it is read, and the caller
 * starts over with `full`, whose open classifies the damage) or `full`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { OtelAuditError } from '../../../errors.ts';
import type { AuditRecord } from '../../../record/AuditRecord.ts';
import { openWalReadOnly, WAL_FRAME_BYTES_MAX, type WalSealedMismatchError } from '../../../wal/readOnly.ts';
import type { ReadDamage, WalReader } from '../../../wal/WalReader.ts';
import { decodeSignedCheckpoint, type SignedCheckpoint } from '../../chain/checkpoint.ts';
import type { DamageKind, VerifyIssue, VerifyReport } from '../VerifyReport.ts';
import type { VerifyOptions } from '../verifyWal.ts';
import { checkpointSignature, type CheckpointSignature } from './checkpointSignature.ts';
import { recordSignature, type RecordSignature } from './recordSignature.ts';
import { readPublishedFile } from './readPublishedFile.ts';
import type { RecordFacts } from './recordFacts.ts';
import { recordRange, StreamChecker } from './StreamChecker.ts';

export const PROGRESS_FRAMES = 4096;
const DAMAGED_RANGES_MAX = 1024;
/** Published checkpoint files read at most (each at most CHECKPOINT_PAYLOAD_BYTES_MAX, 1 MiB, one at a time). */
export const PUBLISHED_FILES_MAX = 100_000;
/** Default `streamsMax`: a checker is a few KiB, so this bounds them to some tens of MiB. */
export const STREAMS_MAX = 10_000;

export interface Verification {
  readonly reader: WalReader;
  /** The reader's `onDamage`: call it where the reader meets the damage, between the frames. */
  onDamage(d: ReadDamage): void;
  /** Every frame read, first, in WAL order. */
  frame(seq: number): void;
  /**
   * A checkpoint frame; `signature`, when given, is what `checkpointSignature` says of its payload with
   * the same keys (computed in a worker thread), else it is computed here.
   */
  checkpoint(seq: number, payload: Uint8Array, signature?: CheckpointSignature): void;
  /** A record frame; `decoded` gives the record, asked for only when its own signature is checked. */
  record(seq: number, facts: RecordFacts, decoded: () => AuditRecord): void;
  finish(): VerifyReport;
}

interface Found extends VerifyIssue {
  /** Position for ordering: the WAL seq, or where reading was when the issue was found. */
  readonly at: number;
}

/**
 * `onceMismatch` (with `full`): what a `once` run met in a sealed segment. When the `full` open finds nothing
 * there (its frames walk clean), the footer claimed what the frames are not in a way recovery's footer check
 * does not look at (e.g. an index block's time bounds): reported as a bad footer all the same.
 */
export function beginVerification(
  o: VerifyOptions,
  walVerify: 'once' | 'full',
  onceMismatch?: WalSealedMismatchError,
): Verification {
  const issues: Found[] = [];
  const warnings: string[] = [];
  const issuesMax = o.issuesMax ?? 1000;
  const keys = o.keys && o.keys.size > 0 ? o.keys : undefined;
  let omitted = 0;
  let first: Found | undefined;
  let lastSeq = 0;
  const report = (
    kind: DamageKind,
    seq: number | undefined,
    message: string,
    streamId?: string,
    chainNumber?: number,
    at: number = seq ?? lastSeq + 0.5,
  ): void => {
    const issue: Found = { kind, seq, chainNumber, streamId, message, at };
    if (first === undefined || issue.at < first.at) first = issue;
    if (issues.length < issuesMax) issues.push(issue);
    else omitted++;
  };

  /**
   * WAL sequence numbers in damaged frames and of records not verified (bounded), to tell a chain gap
   * caused by bit rot, or by a record verify could not check, from a deletion.
   */
  const damagedSeqs: Array<[number, number, string]> = [];
  const lostBetween = (afterSeq: number, beforeSeq: number): string | undefined => {
    const d = damagedSeqs.find(([from, to]) => to > afterSeq && from < beforeSeq);
    return d && `lost with the ${d[2]} at WAL seq ${d[0]}..${d[1]}`;
  };
  const streams = new Map<string, StreamChecker>();
  const published: Map<string, SignedCheckpoint[]> =
    o.publishedDir === undefined ? new Map() : loadPublished(o.publishedDir);
  const streamsMax = o.streamsMax ?? STREAMS_MAX;
  /** The checker of stream `id`; undefined (reported) when `streamsMax` checkers exist already. */
  const stream = (id: string, seq: number | undefined): StreamChecker | undefined => {
    let s = streams.get(id);
    if (!s) {
      if (streams.size >= streamsMax) {
        report(
          'too-many-streams',
          seq,
          `stream ${JSON.stringify(id.slice(0, 80))} is beyond the ${streamsMax} streams verify checks; its frame at WAL seq ${seq ?? '?'} is not checked`,
          id,
        );
        return undefined;
      }
      s = new StreamChecker({
        id,
        report: (kind, seq, chainNumber, message) => report(kind, seq, message, id, chainNumber),
        published: published.get(id) ?? [],
        lostBetween,
      });
      streams.set(id, s);
    }
    return s;
  };
  for (const id of published.keys()) stream(id, undefined);

  const ro = openWalReadOnly({ dir: o.dir, verify: walVerify, ...(o.fs ? { fs: o.fs } : {}) });
  for (const c of ro.report.corruptions) {
    if (c.seqFrom !== undefined && damagedSeqs.length < DAMAGED_RANGES_MAX) {
      damagedSeqs.push([c.seqFrom, c.seqTo ?? c.seqFrom, 'damaged frames']);
    }
    // A frame claiming more than any WAL writer writes was refused unread: say so, not just "bad-frame".
    const claimed =
      c.kind === 'bad-frame' && c.offsetFrom !== undefined
        ? ro.frameTooLarge(c.segment, c.offsetFrom)
        : undefined;
    if (c.kind === 'lost-tail' || c.kind === 'bad-high-water-mark') {
      report(
        'records-lost',
        c.seqFrom,
        c.kind === 'lost-tail'
          ? `${c.segment}: WAL sequence numbers ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'} were durable (at or below the WAL's high-water mark) and are missing or damaged: acknowledged records lost at the end of the WAL`
          : `${c.segment}: the high-water-mark file is unreadable: whether acknowledged records are missing at the end of the WAL cannot be told`,
      );
      continue;
    }
    if (c.kind === 'bad-footer') {
      // Frames intact, so no record is bad: no WAL seq; placed after the segment's last record.
      report(
        'bit-rot',
        undefined,
        `${c.segment}: bad footer at offset ${c.offsetFrom ?? '?'}` +
          (c.detail === undefined ? '' : ` (${c.detail})`) +
          `; its frames are intact (through WAL seq ${c.afterSeq ?? '?'}), no records lost`,
        undefined,
        undefined,
        (c.afterSeq ?? 0) + 0.5,
      );
      continue;
    }
    if (c.kind === 'missing-segment') {
      // A later segment exists, so these were written before it and made durable when their segment was
      // sealed: acknowledged records lost (e.g. a segment file deleted, or the loss an operator accepted
      // below the high-water mark once the WAL went on past it), not damage to bytes that are there.
      report(
        'records-lost',
        c.seqFrom,
        `${c.segment}: WAL sequence numbers ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'} are missing before it (a segment missing or cut short): they were durable (a later segment exists), acknowledged records lost`,
      );
      continue;
    }
    report(
      'bit-rot',
      c.seqFrom,
      `${c.segment}: ${c.kind} at offset ${c.offsetFrom ?? '?'}; WAL sequence numbers ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'} affected` +
        (claimed === undefined
          ? ''
          : ` (the frame there claims ${claimed} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes: not read)`),
    );
  }
  const unexplained =
    onceMismatch !== undefined && !ro.report.corruptions.some((c) => c.segment === onceMismatch.segment);
  if (onceMismatch !== undefined && unexplained) {
    const afterSeq = ro.segments.find((s) => s.name === onceMismatch.segment)?.lastSeq;
    report(
      'bit-rot',
      undefined,
      `${onceMismatch.segment}: bad footer at offset ${onceMismatch.offset} (${onceMismatch.what}); its frames are intact (through WAL seq ${afterSeq ?? '?'}), no records lost`,
      undefined,
      undefined,
      (afterSeq ?? 0) + 0.5,
    );
  }
  for (const t of ro.report.tornTails) {
    warnings.push(`${t.segment}: torn final write at offset ${t.offset} (never acknowledged)`);
  }
  // Recovery has already named these places; reading meets them again.
  const known = new Set(ro.report.corruptions.map((c) => `${c.segment}@${c.offsetFrom}`));
  const onDamage = (d: ReadDamage): void => {
    if (known.has(`${d.segment}@${d.offset}`)) return;
    report(
      'bit-rot',
      undefined,
      `${d.segment}: bad frame at offset ${d.offset} (${d.reason}) after WAL seq ${lastSeq}`,
    );
  };

  let frames = 0;
  let records = 0;
  let unchained = 0;
  let chained = false;

  function frame(seq: number): void {
    frames++;
    lastSeq = seq;
    if (frames % PROGRESS_FRAMES === 0) o.onProgress?.(frames);
  }

  function record(seq: number, facts: RecordFacts, decoded: () => AuditRecord): void {
    records++;
    if (facts.kind === 'undecodable') {
      report('undecodable', seq, facts.message);
      return;
    }
    if (facts.kind === 'unverifiable') {
      report('unverifiable', seq, facts.message);
      if (damagedSeqs.length < DAMAGED_RANGES_MAX) damagedSeqs.push([seq, seq, 'record not verified']);
      return;
    }
    if (facts.kind === 'unchained') {
      unchained++;
      if (chained) {
        report(
          'insertion',
          seq,
          'record without chain attributes after the chain began: inserted, or written by a pipeline without audit_chain',
        );
      }
      return;
    }
    chained = true;
    const s = stream(facts.streamId, seq);
    if (s === undefined) return;
    const { modified } = s.check(seq, facts);
    // A changed record's signature fails too: that is the same finding.
    if (!modified && facts.signed && keys) {
      reportRecordSignature(seq, facts.signature ?? recordSignature(decoded(), keys), s.id);
    }
  }

  /** Reports what a record's own signature says (`recordSignature`: from a worker, or checked here). */
  function reportRecordSignature(seq: number, sig: RecordSignature, streamId: string): void {
    const n = sig.number;
    const what = `record ${n ?? '?'} (WAL seq ${seq})`;
    switch (sig.verdict) {
      case 'trusted':
      case 'absent':
        return;
      case 'not-base64':
        report('forged-signature', seq, `${what}: audit.integrity.value is not base64`, streamId, n);
        return;
      case 'no-payload':
        report('undecodable', seq, `${what}: no signing payload (${sig.detail ?? ''})`, streamId, n);
        return;
      case 'unknown-key':
        report(
          'unknown-key',
          seq,
          `${what} is signed by key ${String(sig.keyId)}, which is not trusted`,
          streamId,
          n,
        );
        return;
      case 'forged':
        report('forged-signature', seq, `${what}: audit.integrity.value does not verify`, streamId, n);
        return;
    }
  }

  function checkCheckpoint(seq: number, payload: Uint8Array, signed?: CheckpointSignature): void {
    let cp: SignedCheckpoint;
    try {
      cp = decodeSignedCheckpoint(payload);
    } catch (err) {
      report('undecodable', seq, `checkpoint does not decode: ${String(err)}`);
      return;
    }
    const s = stream(cp.checkpoint.streamId, seq);
    if (s === undefined) return;
    const trustedBefore = s.trustedSize;
    const signature = signed ?? checkSignature(cp);
    s.checkpoint(seq, cp, signature === 'trusted');
    if (signature === 'trusted' || signature === 'unchecked') return;
    const size = cp.checkpoint.treeSize;
    const unvouched =
      size > trustedBefore
        ? `: ${recordRange(trustedBefore + 1, size)} not covered by a trusted signature`
        : '';
    const at = `checkpoint at ${size} of stream ${s.id}`;
    if (signature === 'unsigned') report('unsigned', seq, `${at} is not signed${unvouched}`, s.id, size);
    else if (signature === 'unknown-key') {
      report(
        'unknown-key',
        seq,
        `${at} is signed by key ${cp.keyId}, which is not trusted${unvouched}`,
        s.id,
        size,
      );
    } else {
      report(
        'forged-signature',
        seq,
        `${at}: the ${cp.algorithm} signature does not verify${unvouched}`,
        s.id,
        size,
      );
    }
  }

  function checkSignature(cp: SignedCheckpoint): CheckpointSignature {
    return checkpointSignature(cp, keys);
  }

  /** Published checkpoints by stream; every one must be signed by a trusted key (when keys are given). */
  function loadPublished(dir: string): Map<string, SignedCheckpoint[]> {
    const byStream = new Map<string, SignedCheckpoint[]>();
    const names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
    if (names.length > PUBLISHED_FILES_MAX) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `${dir} holds ${names.length} checkpoint files, more than ${PUBLISHED_FILES_MAX}`,
      );
    }
    for (const name of names) {
      const file = readPublishedFile(path.join(dir, name));
      if (!file.ok) {
        report('published-unreadable', undefined, `published checkpoint ${name} ${file.problem}`);
        continue;
      }
      let cp: SignedCheckpoint;
      try {
        cp = decodeSignedCheckpoint(file.bytes);
      } catch (err) {
        report('undecodable', undefined, `published checkpoint ${name} does not decode: ${String(err)}`);
        continue;
      }
      const signature = checkSignature(cp);
      if (signature !== 'trusted' && signature !== 'unchecked') {
        report(
          signature === 'forged' ? 'forged-signature' : signature,
          undefined,
          `published checkpoint ${name}: ${signature === 'unsigned' ? 'not signed' : signature === 'forged' ? 'signature does not verify' : `signed by untrusted key ${cp.keyId}`}; not used`,
          cp.checkpoint.streamId,
          cp.checkpoint.treeSize,
        );
        continue;
      }
      const list = byStream.get(cp.checkpoint.streamId) ?? [];
      list.push(cp);
      byStream.set(cp.checkpoint.streamId, list);
    }
    return byStream;
  }

  function finish(): VerifyReport {
    for (const s of streams.values()) s.finish();
    const summaries = [...streams.values()].map((s) => s.summary());
    const signedSomewhere = summaries.some((s) => s.signedCheckpoints > 0);
    const unchecked = signedSomewhere && !keys;
    if (unchecked) warnings.push('signatures were not checked: no trusted public key given (--public-key)');
    for (const s of streams.values()) {
      const sum = s.summary();
      if (s.uncovered > 0) {
        warnings.push(
          `stream ${s.id}: ${recordRange(sum.lastCheckpointSize + 1, sum.records)} not yet covered by a checkpoint (a cut here would not be detected without published checkpoints)`,
        );
      }
    }
    issues.sort((a, b) => a.at - b.at);
    const strip = (f: Found): VerifyIssue => ({
      kind: f.kind,
      seq: f.seq,
      chainNumber: f.chainNumber,
      streamId: f.streamId,
      message: f.message,
    });
    return {
      ok: first === undefined && !unchecked,
      frames,
      records,
      unchainedRecords: unchained,
      streams: summaries,
      firstIssue: first && strip(first),
      issues: issues.map(strip),
      issuesOmitted: omitted,
      warnings,
    };
  }

  return { reader: ro.reader, onDamage, frame, checkpoint: checkCheckpoint, record, finish };
}
