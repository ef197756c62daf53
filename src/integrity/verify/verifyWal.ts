/**
 * Verification of a WAL directory, streaming, in bounded memory (O(log n)
 * per stream): recomputes every frame's CRC (the WAL reader), every record's
 * IntegrityHash and chain link, every checkpoint's Merkle root and chain
 * head, and every signature, and names the first bad record and the kind of
 * damage. What it cannot detect without an outside witness: a tail cut after
 * the last checkpoint published outside the host (docs/integrity.md).
 */
import { decodeRecord } from '../../record/walCodec.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import type { FileSystem } from '../../wal/fs/FileSystem.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import { collectorPayloadBytes } from '../canonical/collectorPayload.ts';
import { recordHash } from '../canonical/projection.ts';
import { attr } from '../chain/recoverChain.ts';
import { checkpointSignedBytes, decodeSignedCheckpoint, type SignedCheckpoint } from '../chain/checkpoint.ts';
import { equalBytes } from '../merkle/hash.ts';
import { MerkleTree } from '../merkle/MerkleTree.ts';
import {
  ATTR_INTEGRITY_HASH,
  ATTR_INTEGRITY_KEY_ID,
  ATTR_INTEGRITY_VALUE,
  ATTR_SEQUENCE_NUMBER,
  ATTR_SEQUENCE_PREVIOUS_HASH,
  ATTR_SEQUENCE_STREAM_ID,
  RESOURCE_ATTR_INTEGRITY_ALGORITHM,
} from '../names.ts';
import { isSignatureAlgorithm, SIGNATURE_ALGORITHMS } from '../sign/algorithms.ts';
import { decodeIntegrityValue } from '../sign/integrityValue.ts';
import type { KeyRing } from '../sign/KeyRing.ts';
import type { DamageKind, StreamSummary, VerifyIssue, VerifyReport } from './VerifyReport.ts';

export interface VerifyOptions {
  readonly dir: string;
  readonly fs?: FileSystem;
  /** Trusted public keys. Without any, signatures cannot be checked and signed checkpoints are reported. */
  readonly keys?: KeyRing;
  /** Issues kept in the report (the count of the rest is reported). */
  readonly issuesMax?: number;
  readonly onProgress?: (frames: number) => void;
}

interface Stream {
  readonly id: string;
  count: number;
  head: Uint8Array | undefined;
  tree: MerkleTree;
  checkpoints: number;
  signed: number;
  lastCheckpointSize: number;
}

const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '');

export function verifyWal(o: VerifyOptions): VerifyReport {
  const issues: VerifyIssue[] = [];
  const warnings: string[] = [];
  const issuesMax = o.issuesMax ?? 1000;
  let omitted = 0;
  let first: VerifyIssue | undefined;
  const report = (
    kind: DamageKind,
    seq: number | undefined,
    message: string,
    s?: Stream,
    chainNumber?: number,
  ): void => {
    const issue: VerifyIssue = { kind, seq, chainNumber, streamId: s?.id, message };
    first ??= issue;
    if (issues.length < issuesMax) issues.push(issue);
    else omitted++;
  };

  const ro = openWalReadOnly({ dir: o.dir, verify: 'full', ...(o.fs ? { fs: o.fs } : {}) });
  for (const c of ro.report.corruptions) {
    report(
      'bit-rot',
      c.seqFrom,
      `${c.segment}: ${c.kind} at offset ${c.offsetFrom ?? '?'}; sequence numbers ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'} affected`,
    );
  }
  for (const t of ro.report.tornTails) {
    warnings.push(`${t.segment}: torn final write at offset ${t.offset} (never acknowledged)`);
  }
  const streams = new Map<string, Stream>();
  let frames = 0;
  let records = 0;
  let unchained = 0;
  let lastSeq = 0;
  const onDamage = (d: { segment: string; offset: number; reason: string }): void =>
    report(
      'bit-rot',
      undefined,
      `${d.segment}: bad frame at offset ${d.offset} (${d.reason}) after seq ${lastSeq}`,
    );

  for (const f of ro.reader.records({ onDamage })) {
    frames++;
    lastSeq = f.seq;
    if (frames % 100_000 === 0) o.onProgress?.(frames);
    if (f.type === FrameType.CHECKPOINT) {
      checkCheckpoint(f.seq, f.payload);
      continue;
    }
    if (f.type !== FrameType.RECORD) continue;
    records++;
    let record: AuditRecord;
    try {
      record = decodeRecord(f.payload);
    } catch (err) {
      report('undecodable', f.seq, `record frame does not decode: ${String(err)}`);
      continue;
    }
    const streamId = attr(record, ATTR_SEQUENCE_STREAM_ID);
    if (typeof streamId !== 'string') {
      unchained++;
      continue;
    }
    checkRecord(f.seq, record, stream(streamId));
  }

  function stream(id: string): Stream {
    let s = streams.get(id);
    if (!s) {
      s = {
        id,
        count: 0,
        head: undefined,
        tree: new MerkleTree(),
        checkpoints: 0,
        signed: 0,
        lastCheckpointSize: 0,
      };
      streams.set(id, s);
    }
    return s;
  }

  function checkRecord(seq: number, record: AuditRecord, s: Stream): void {
    const number = attr(record, ATTR_SEQUENCE_NUMBER);
    const n = typeof number === 'bigint' ? Number(number) : NaN;
    const h = recordHash(record);
    const stored = attr(record, ATTR_INTEGRITY_HASH);
    if (stored !== undefined && stored !== hex(h)) {
      report(
        'modified',
        seq,
        `record ${n} changed after it was chained: its content no longer matches audit.integrity.hash`,
        s,
        n,
      );
    }
    if (!Number.isSafeInteger(n)) {
      report('insertion', seq, `record without a valid audit.sequence.number in stream ${s.id}`, s);
    } else if (n > s.count + 1) {
      report(
        'deletion',
        seq,
        `records ${s.count + 1}..${n - 1} of stream ${s.id} are missing before record ${n}`,
        s,
        s.count + 1,
      );
    } else if (n <= s.count) {
      report(
        n === s.count ? 'insertion' : 'reorder',
        seq,
        `record ${n} appears after record ${s.count}`,
        s,
        n,
      );
    }
    const prev = attr(record, ATTR_SEQUENCE_PREVIOUS_HASH);
    if (n === s.count + 1 && (prev ?? '') !== hex(s.head)) {
      report('broken-link', seq, `record ${n}: previous_hash does not match record ${s.count}'s hash`, s, n);
    }
    checkRecordSignature(seq, record, s, n);
    // Continue from what is actually there, so one bad record is reported once, not for every record after it.
    s.tree.append(h);
    s.head = h;
    s.count = Number.isSafeInteger(n) && n > s.count ? n : s.count + 1;
  }

  function checkRecordSignature(seq: number, record: AuditRecord, s: Stream, n: number): void {
    const value = attr(record, ATTR_INTEGRITY_VALUE);
    if (typeof value !== 'string' || !o.keys || o.keys.size === 0) return;
    const keyId = attr(record, ATTR_INTEGRITY_KEY_ID);
    // The algorithm rides on the resource (Collector signing processor) or is found by trying the key's own.
    const named = record.resource.attributes.find(
      (kv) => kv.key === RESOURCE_ATTR_INTEGRITY_ALGORITHM,
    )?.value;
    const algorithms =
      typeof named === 'string' && isSignatureAlgorithm(named) ? [named] : SIGNATURE_ALGORITHMS;
    const data = collectorPayloadBytes(record);
    const signature = decodeIntegrityValue(value);
    for (const algorithm of algorithms) {
      const r = o.keys.verify({
        algorithm,
        data,
        signature,
        ...(typeof keyId === 'string' ? { keyId } : {}),
      });
      if (r.ok) return;
      if (r.reason === 'unknown-key') {
        report(
          'unknown-key',
          seq,
          `record ${n} is signed by key ${String(keyId)}, which is not trusted`,
          s,
          n,
        );
        return;
      }
    }
    report('forged-signature', seq, `record ${n}: audit.integrity.value does not verify`, s, n);
  }

  function checkCheckpoint(seq: number, payload: Uint8Array): void {
    let cp: SignedCheckpoint;
    try {
      cp = decodeSignedCheckpoint(payload);
    } catch (err) {
      report('undecodable', seq, `checkpoint does not decode: ${String(err)}`);
      return;
    }
    const c = cp.checkpoint;
    const s = stream(c.streamId);
    s.checkpoints++;
    if (c.treeSize > s.count) {
      report(
        'truncation',
        seq,
        `checkpoint covers ${c.treeSize} records of stream ${s.id} but only ${s.count} precede it`,
        s,
        s.count + 1,
      );
    } else if (c.treeSize < s.count) {
      report(
        'insertion',
        seq,
        `checkpoint for ${c.treeSize} records stands after record ${s.count}`,
        s,
        c.treeSize + 1,
      );
    } else if (!equalBytes(s.tree.root(), c.rootHash) || hex(s.head) !== hex(c.chainHead)) {
      report(
        'root-mismatch',
        seq,
        `checkpoint at ${c.treeSize}: Merkle root or chain head does not match the records`,
        s,
        c.treeSize,
      );
    }
    s.lastCheckpointSize = Math.max(s.lastCheckpointSize, c.treeSize);
    if (cp.algorithm === 'none') {
      if (o.keys && o.keys.size > 0)
        report('unsigned', seq, `checkpoint at ${c.treeSize} is not signed`, s, c.treeSize);
      return;
    }
    s.signed++;
    if (!o.keys || o.keys.size === 0) return;
    if (!isSignatureAlgorithm(cp.algorithm)) {
      report(
        'forged-signature',
        seq,
        `checkpoint at ${c.treeSize}: unknown algorithm ${cp.algorithm}`,
        s,
        c.treeSize,
      );
      return;
    }
    const r = o.keys.verify({
      algorithm: cp.algorithm,
      data: checkpointSignedBytes(c),
      signature: cp.signature,
      keyId: cp.keyId,
    });
    if (!r.ok) {
      report(
        r.reason === 'bad-signature' ? 'forged-signature' : 'unknown-key',
        seq,
        r.reason === 'bad-signature'
          ? `checkpoint at ${c.treeSize}: signature does not verify`
          : `checkpoint at ${c.treeSize} is signed by key ${cp.keyId}, which is not trusted`,
        s,
        c.treeSize,
      );
    }
  }

  const summaries: StreamSummary[] = [...streams.values()].map((s) => ({
    streamId: s.id,
    records: s.count,
    checkpoints: s.checkpoints,
    signedCheckpoints: s.signed,
    lastCheckpointSize: s.lastCheckpointSize,
    rootHash: hex(s.tree.root()),
    chainHead: hex(s.head),
  }));
  const signedSomewhere = summaries.some((s) => s.signedCheckpoints > 0);
  if (signedSomewhere && (!o.keys || o.keys.size === 0)) {
    warnings.push('signatures were not checked: no trusted public key given (--public-key)');
  }
  for (const s of summaries) {
    if (s.records > s.lastCheckpointSize) {
      warnings.push(
        `stream ${s.streamId}: records ${s.lastCheckpointSize + 1}..${s.records} are not yet covered by a checkpoint`,
      );
    }
  }
  return {
    ok: first === undefined && !(signedSomewhere && (!o.keys || o.keys.size === 0)),
    frames,
    records,
    unchainedRecords: unchained,
    streams: summaries,
    firstIssue: first,
    issues,
    issuesOmitted: omitted,
    warnings,
  };
}
