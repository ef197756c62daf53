/**
 * Record facts of one batch of record frames in a compact, transferable form:
 * what a verify worker sends back to the main thread (typed arrays move
 * without copying; a structured clone of one object per record would cost
 * the main thread about as much as the checks themselves).
 */
import { hashChildren } from '../../merkle/hash.ts';
import type { CheckpointSignature } from './checkpointSignature.ts';
import type { ChainedFacts, RecordFacts } from './recordFacts.ts';
import type { RecordSignature } from './recordSignature.ts';

/** The record payloads of a batch: one buffer, `[offset, length]` pairs; and its checkpoint payloads. */
export interface PayloadBatch {
  readonly id: number;
  readonly bytes: ArrayBuffer;
  readonly spans: Uint32Array;
  /** The payloads of the batch's checkpoint frames, in WAL order (cloned, not transferred: few and small). */
  readonly checkpoints?: readonly Uint8Array[];
}

export interface PackedFacts {
  readonly id: number;
  /** The payloads, handed back (a record's own signature needs its decoded record). */
  readonly bytes: ArrayBuffer;
  readonly spans: Uint32Array;
  /** Per record: KIND_*. */
  readonly kinds: Uint8Array;
  /** Per record: FLAG_* bits. */
  readonly flags: Uint8Array;
  readonly numbers: Float64Array;
  /** Per record: the chain hash (32 bytes), then the leaf hash (32 bytes). */
  readonly hashes: Uint8Array;
  /** Per record: the Merkle merges its leaf completes within the batch (`BatchedFold.levels`). */
  readonly foldLevels: Uint8Array;
  /** Per record: the subtree root of those merges (32 bytes; zero when `foldLevels` is 0). */
  readonly foldRoots: Uint8Array;
  /** Index into `streamIds` per record. */
  readonly streams: Uint32Array;
  readonly streamIds: readonly string[];
  /** Per record: PREV_* — how `audit.sequence.previous_hash` is carried. */
  readonly prevKinds: Uint8Array;
  /** The 64-character previous hashes (PREV_HEX) of the batch, concatenated: one string clones fast. */
  readonly prevHex: string;
  /** The bytes of those previous hashes, 32 per PREV_HEX record, in the same order. */
  readonly prevHashes: Uint8Array;
  /** `[record index, previous_hash]` of PREV_OTHER records. */
  readonly prevOther: ReadonlyArray<readonly [number, string]>;
  /** `[record index, message]`: why a record is undecodable or has no canonical form. */
  readonly messages: ReadonlyArray<readonly [number, string]>;
  /**
   * Per checkpoint of the batch, in order: what its signature says (`checkpointSignature`), undefined
   * for one that does not decode (the main thread reports it). Absent: none were checked.
   */
  readonly checkpointSignatures?: ReadonlyArray<CheckpointSignature | undefined>;
  /**
   * `[record index, what its own signature says]` for each record whose signature the worker checked
   * (chained, signed, not modified, keys given: `recordSignatureOf`). Absent: none were checked.
   */
  readonly recordSignatures?: ReadonlyArray<readonly [number, RecordSignature]>;
}

const KIND_UNDECODABLE = 0;
const KIND_UNCHAINED = 1;
const KIND_CHAINED = 2;
const KIND_UNVERIFIABLE = 3;
const FLAG_MODIFIED = 1;
const FLAG_SIGNED = 2;
const FLAG_NO_CANONICAL_FORM = 4;
const HASHES = 64;
const PREV_NONE = 0;
/** 64 lowercase hex digits: carried as a string and as the 32 bytes it spells. */
const PREV_HEX = 1;
const PREV_OTHER = 2;
const HEX_CHARS = 64;
/** Per char code below 128: its value as a lowercase hex digit, else -1. */
const NIBBLES = Int8Array.from({ length: 128 }, (_, c) => '0123456789abcdef'.indexOf(String.fromCharCode(c)));

/**
 * Writes the 32 bytes that `hex` spells at `out[at..]` when it is 64 lowercase hex digits; false (and
 * `out` partly written) otherwise. One pass, no allocation: a RegExp test plus `Buffer.from(hex, 'hex')`
 * cost ~450 ns per record in the workers, this ~200 (micro-benchmark, 200k 64-char strings).
 */
function decodeLowerHex(hex: string, out: Uint8Array, at: number): boolean {
  if (hex.length !== HEX_CHARS) return false;
  for (let i = 0; i < HEX_CHARS / 2; i++) {
    const h = hex.charCodeAt(2 * i);
    const l = hex.charCodeAt(2 * i + 1);
    const hi = h < 128 ? (NIBBLES[h] as number) : -1;
    const lo = l < 128 ? (NIBBLES[l] as number) : -1;
    if (hi < 0 || lo < 0) return false;
    out[at + i] = (hi << 4) | lo;
  }
  return true;
}

/**
 * Packs the facts of `batch` (computed by `factsOf` per record payload) for transfer, with what
 * `signatureOf` says of each checkpoint payload when it is given.
 */
export function packFacts(
  batch: PayloadBatch,
  factsOf: (payload: Uint8Array) => RecordFacts,
  signatureOf?: (checkpoint: Uint8Array) => CheckpointSignature | undefined,
  recordSignatureOf?: (payload: Uint8Array) => RecordSignature | undefined,
): PackedFacts {
  const count = batch.spans.length / 2;
  const all = new Uint8Array(batch.bytes);
  const kinds = new Uint8Array(count);
  const flags = new Uint8Array(count);
  const numbers = new Float64Array(count);
  const hashes = new Uint8Array(count * HASHES);
  const streams = new Uint32Array(count);
  const foldLevels = new Uint8Array(count);
  const foldRoots = new Uint8Array(count * 32);
  const fold = new Folder(foldLevels, foldRoots);
  const streamIds: string[] = [];
  const prevKinds = new Uint8Array(count);
  const prevParts: string[] = [];
  const prevHashes = new Uint8Array(count * 32);
  const prevOther: Array<[number, string]> = [];
  const messages: Array<[number, string]> = [];
  const recordSignatures: Array<[number, RecordSignature]> = [];
  let lastId: string | undefined;
  let lastIndex = 0;
  const streamIndex = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const offset = batch.spans[2 * i] as number;
    const payload = all.subarray(offset, offset + (batch.spans[2 * i + 1] as number));
    const facts = factsOf(payload);
    if (facts.kind === 'undecodable' || facts.kind === 'unverifiable') {
      kinds[i] = facts.kind === 'undecodable' ? KIND_UNDECODABLE : KIND_UNVERIFIABLE;
      messages.push([i, facts.message]);
      fold.reset();
      continue;
    }
    if (facts.kind === 'unchained') {
      kinds[i] = KIND_UNCHAINED;
      fold.reset();
      continue;
    }
    kinds[i] = KIND_CHAINED;
    if (facts.streamId !== lastId) {
      lastId = facts.streamId;
      const known = streamIndex.get(lastId);
      lastIndex = known ?? streamIds.push(lastId) - 1;
      if (known === undefined) streamIndex.set(lastId, lastIndex);
    }
    streams[i] = lastIndex;
    numbers[i] = facts.n;
    const prev = facts.prevHex;
    if (prev === '') prevKinds[i] = PREV_NONE;
    else if (decodeLowerHex(prev, prevHashes, prevParts.length * 32)) {
      prevKinds[i] = PREV_HEX;
      prevParts.push(prev);
    } else {
      prevKinds[i] = PREV_OTHER;
      prevOther.push([i, prev]);
    }
    let f = 0;
    if (facts.modified) f |= FLAG_MODIFIED;
    if (facts.signed) f |= FLAG_SIGNED;
    if (facts.noCanonicalForm !== undefined) {
      f |= FLAG_NO_CANONICAL_FORM;
      messages.push([i, facts.noCanonicalForm]);
    }
    flags[i] = f;
    // As the main thread checks it (WalVerification.record): a changed record's signature failing is the same finding.
    if (recordSignatureOf !== undefined && facts.signed && !facts.modified) {
      const signature = recordSignatureOf(payload);
      if (signature !== undefined) recordSignatures.push([i, signature]);
    }
    hashes.set(facts.hash, i * HASHES);
    hashes.set(facts.leaf, i * HASHES + 32);
    if (facts.noCanonicalForm === undefined && Number.isSafeInteger(facts.n) && facts.n >= 1) {
      fold.add(i, facts.streamId, facts.n, facts.leaf);
    } else fold.reset();
  }
  return {
    id: batch.id,
    bytes: batch.bytes,
    spans: batch.spans,
    kinds,
    flags,
    numbers,
    hashes,
    streams,
    streamIds,
    prevKinds,
    foldLevels,
    foldRoots,
    prevHex: prevParts.join(''),
    prevHashes: prevHashes.subarray(0, prevParts.length * 32),
    prevOther,
    messages,
    ...(signatureOf === undefined
      ? {}
      : { checkpointSignatures: (batch.checkpoints ?? []).map(signatureOf) }),
    ...(recordSignatureOf === undefined ? {} : { recordSignatures }),
  };
}

/** The buffers `packFacts` output can be transferred with. */
export function transferables(p: PackedFacts): ArrayBuffer[] {
  return [
    p.bytes,
    p.spans.buffer,
    p.kinds.buffer,
    p.flags.buffer,
    p.numbers.buffer,
    p.hashes.buffer,
    p.streams.buffer,
    p.foldLevels.buffer,
    p.foldRoots.buffer,
    p.prevHashes.buffer,
  ] as ArrayBuffer[];
}

/** Reads the facts of a packed batch, record by record in order. */
export class FactsReader {
  private readonly p: PackedFacts;
  private readonly messages: ReadonlyMap<number, string>;
  private readonly prevOther: ReadonlyMap<number, string>;
  private readonly recordSignatures: ReadonlyMap<number, RecordSignature>;
  private prevAt = 0;
  private nextIndex = 0;

  constructor(p: PackedFacts) {
    this.p = p;
    this.messages = new Map(p.messages);
    this.prevOther = new Map(p.prevOther);
    this.recordSignatures = new Map(p.recordSignatures);
  }

  /** The facts of record `i`; records must be read in order, each once. */
  read(i: number): RecordFacts {
    if (i !== this.nextIndex) throw new Error(`facts read out of order: ${i}, expected ${this.nextIndex}`);
    this.nextIndex++;
    const p = this.p;
    const kind = p.kinds[i];
    if (kind === KIND_UNDECODABLE) return { kind: 'undecodable', message: this.messages.get(i) ?? '' };
    if (kind === KIND_UNVERIFIABLE) return { kind: 'unverifiable', message: this.messages.get(i) ?? '' };
    if (kind === KIND_UNCHAINED) return { kind: 'unchained' };
    const f = p.flags[i] as number;
    const at = i * HASHES;
    let prevHex = '';
    let prevHash: Uint8Array | undefined;
    const prevKind = p.prevKinds[i];
    if (prevKind === PREV_HEX) {
      prevHex = p.prevHex.slice(this.prevAt, this.prevAt + HEX_CHARS);
      prevHash = p.prevHashes.subarray(this.prevAt / 2, this.prevAt / 2 + 32);
      this.prevAt += HEX_CHARS;
    } else if (prevKind === PREV_OTHER) prevHex = this.prevOther.get(i) ?? '';
    const facts: ChainedFacts = {
      kind: 'chained',
      streamId: p.streamIds[p.streams[i] as number] as string,
      n: p.numbers[i] as number,
      noCanonicalForm: f & FLAG_NO_CANONICAL_FORM ? (this.messages.get(i) ?? '') : undefined,
      modified: (f & FLAG_MODIFIED) !== 0,
      hash: p.hashes.subarray(at, at + 32),
      leaf: p.hashes.subarray(at + 32, at + HASHES),
      prevHex,
      prevHash,
      signed: (f & FLAG_SIGNED) !== 0,
      signature: this.recordSignatures.get(i),
      batched: {
        batch: p,
        index: i,
        levels: p.foldLevels[i] as number,
        root: p.foldLevels[i] ? p.foldRoots.subarray(i * 32, i * 32 + 32) : undefined,
      },
    };
    return facts;
  }
}

/**
 * The Merkle merges within a run of consecutive records of one stream (chain numbers n, n+1, ...):
 * appending leaf `n - 1` merges it with each trailing perfect subtree (one per trailing 1 bit of
 * `n - 1`); those whose leaves are all in the run are done here, off the main thread.
 */
class Folder {
  private stream: string | undefined;
  private lastN = 0;
  /** Perfect subtrees of the run, oldest first: their level and root. */
  private readonly stack: Array<{ level: number; hash: Uint8Array }> = [];

  private readonly levels: Uint8Array;
  private readonly roots: Uint8Array;

  constructor(levels: Uint8Array, roots: Uint8Array) {
    this.levels = levels;
    this.roots = roots;
  }

  reset(): void {
    this.stream = undefined;
    this.stack.length = 0;
  }

  add(i: number, stream: string, n: number, leaf: Uint8Array): void {
    if (stream !== this.stream || n !== this.lastN + 1) {
      this.reset();
      this.stream = stream;
    }
    this.lastN = n;
    let hash = leaf;
    let level = 0;
    for (let bits = n - 1; bits % 2 === 1; bits = Math.floor(bits / 2)) {
      const top = this.stack.at(-1);
      if (top === undefined || top.level !== level) break;
      this.stack.pop();
      hash = hashChildren(top.hash, hash);
      level++;
    }
    this.stack.push({ level, hash });
    this.levels[i] = level;
    if (level > 0) this.roots.set(hash, i * 32);
  }
}
