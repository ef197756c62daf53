/**
 * THE torture oracle: one check, applied by every scenario, of a WAL reopened
 * after whatever the scenario did to it. Given what the writer acknowledged
 * and attempted (`LedgerView`), what the reopened WAL holds (`Observation`)
 * and the damage the scenario injected on purpose (`InjectedDamage`, if any),
 * it returns every violation as a sentence naming the sequence numbers:
 *
 * 1. the WAL reopens;
 * 2. without injected damage, recovery and reading find no corruption (a
 *    crash, a full disk or a failed fsync must never look like corruption);
 * 3. sequence numbers increase strictly, start at 1 and have no gap, except
 *    where injected damage destroyed frames;
 * 4. every acknowledged record is present at its sequence number,
 *    byte-exact — unless injected damage hit that very frame;
 * 5. every record present is whole: byte-identical to a payload the writer
 *    attempted (acknowledged or not), appears at most once, and records
 *    appear in the order their appends were called;
 * 6. with injected damage, every destroyed frame the WAL can tell from a torn
 *    final write (`mustReport`) is named, by sequence number, by recovery
 *    AND by `verifyWal`; neither names a frame the damage did not touch;
 * 7. when chained (a `VerifyReport` is given), `verifyWal` finds no issue
 *    except consequences of injected damage (bit rot; records lost at the
 *    end of the WAL, at or below its high-water mark, only when the damage
 *    destroyed records there (`lostBelowMark`); and the deletions,
 *    truncations and root mismatches it causes at or after the first
 *    destroyed frame), and every signature was checked.
 *
 * The oracle is pure (no I/O) so that its own tests can plant violations.
 */
import type { VerifyReport } from '../src/integrity/verify/VerifyReport.ts';
import { FrameType } from '../src/wal/format.ts';
import type { RecoveryReport } from '../src/wal/recover.ts';
import type { LedgerView } from './ledger.ts';

/** One frame read back (a `WalRecord`, minus what the oracle does not need). */
export interface ObservedRecord {
  readonly seq: number;
  readonly type: number;
  readonly timeUnixNano: bigint;
  readonly payload: Uint8Array;
}

export interface Observation {
  /** Set when the WAL did not reopen; nothing else is then looked at. */
  readonly openError?: string;
  /** Every frame the reopened WAL reads (all types but footers), in read order. */
  readonly records: readonly ObservedRecord[];
  /** The reopened WAL's recovery report. */
  readonly recovery?: RecoveryReport;
  /** Damage the reader met while reading `records` (offsets, reasons). */
  readonly readDamage?: readonly string[];
  /** `verifyWal` of the directory, for chained WALs. */
  readonly verify?: VerifyReport;
}

export interface InjectedDamage {
  /** Sequence numbers whose frames the damage changed or cut, or that may be discarded with them. */
  readonly mayLose: ReadonlySet<number>;
  /** Of those, the ones recovery and verify must name (the rest look exactly like a torn final write). */
  readonly mustReport: ReadonlySet<number>;
  /**
   * Set when the damage destroyed records at or below the WAL's high-water mark at the end of the newest
   * segment (the mark): the writer's open must refuse with WAL_CORRUPT, and opens only when the loss is
   * accepted (`acceptLostRecordsThroughSeq`).
   */
  readonly lostBelowMark?: number;
}

export interface OracleInput {
  /** Where in the scenario this check runs ("after crash 2 (tear)"); prefixes every violation. */
  readonly where: string;
  readonly ledger: LedgerView;
  readonly observation: Observation;
  readonly damage?: InjectedDamage;
  /** Frame types the writer appends itself (checked for identity); default RECORD only. */
  readonly writerTypes?: readonly number[];
}

/** Violations kept per check; the rest are counted in a last sentence. */
export const VIOLATIONS_MAX = 20;

/** Verify findings that injected damage causes downstream of the destroyed frames. */
const CONSEQUENCES = new Set(['deletion', 'truncation', 'root-mismatch', 'broken-link']);

export function checkWal(input: OracleInput): string[] {
  const out: string[] = [];
  const say = (s: string): void => void out.push(`${input.where}: ${s}`);
  const obs = input.observation;
  if (obs.openError !== undefined) {
    say(`the WAL did not reopen: ${obs.openError}`);
    return out;
  }
  const damage = input.damage;
  const mayLose = damage?.mayLose ?? new Set<number>();
  checkCorruptionReports(obs, damage, say);
  const bySeq = checkSequence(obs.records, mayLose, say);
  checkAcknowledged(input.ledger, bySeq, mayLose, say);
  checkIdentity(input, say);
  if (obs.verify) checkVerify(obs.verify, damage, say);
  if (out.length > VIOLATIONS_MAX) {
    const more = out.length - VIOLATIONS_MAX;
    out.length = VIOLATIONS_MAX;
    out.push(`${input.where}: ... and ${more} more violations`);
  }
  return out;
}

function checkCorruptionReports(
  obs: Observation,
  damage: InjectedDamage | undefined,
  say: (s: string) => void,
): void {
  const corruptions = obs.recovery?.corruptions ?? [];
  if (damage === undefined) {
    for (const c of corruptions) {
      say(
        `recovery reports corruption (${c.kind} in ${c.segment} at offset ${c.offsetFrom ?? '?'}, seqs ${c.seqFrom ?? '?'}..${c.seqTo ?? '?'}) although no damage was injected: a crash or fault must never look like corruption`,
      );
    }
    for (const d of obs.readDamage ?? []) say(`reading met damage although none was injected: ${d}`);
    return;
  }
  const reported = new Set<number>();
  for (const c of corruptions) {
    if (c.seqFrom === undefined) continue;
    for (let s = c.seqFrom; s <= (c.seqTo ?? c.seqFrom); s++) reported.add(s);
  }
  const notNamed = [...damage.mustReport].filter((s) => !reported.has(s));
  if (notNamed.length > 0) {
    say(`recovery does not name damaged ${seqList(notNamed)} (it reports ${seqList([...reported])})`);
  }
  const wrong = [...reported].filter((s) => !damage.mayLose.has(s));
  if (wrong.length > 0)
    say(
      `recovery reports ${seqList(wrong)} as damaged, but the injected damage did not touch ${wrong.length === 1 ? 'it' : 'them'}`,
    );
  if (obs.verify) {
    const named = verifyNamedSeqs(obs.verify, damage.lostBelowMark);
    const missed = [...damage.mustReport].filter((s) => !named.has(s));
    if (missed.length > 0) say(`verify does not detect the damage to ${seqList(missed)}`);
    const extra = [...named].filter((s) => !damage.mayLose.has(s));
    if (extra.length > 0)
      say(`verify reports damage at ${seqList(extra)}, which the injected damage did not touch`);
  }
}

/**
 * Sequence numbers `verifyWal` names as damaged ("WAL sequence numbers A..B affected", or the issue's
 * seq): its `bit-rot` issues, and — only when the damage destroyed records at or below the WAL's
 * high-water mark (`lostBelowMark`) — its `records-lost` issues whose whole range lies at or below that
 * mark (records the WAL had made durable, cut from the end of the WAL).
 */
export function verifyNamedSeqs(report: VerifyReport, lostBelowMark?: number): Set<number> {
  const named = new Set<number>();
  for (const i of report.issues) {
    const range = namedRange(i);
    if (range === undefined) continue;
    if (!isStorageDamage(i) && !isRecordsLostBelow(i, lostBelowMark)) continue;
    for (let s = range.from; s <= range.to; s++) named.add(s);
  }
  return named;
}

type Issue = VerifyReport['issues'][number];

function namedRange(i: Issue): { from: number; to: number } | undefined {
  const m = /sequence numbers (\d+)\.\.(\d+)/.exec(i.message);
  const from = m ? Number(m[1]) : i.seq;
  const to = m ? Number(m[2]) : i.seq;
  return from === undefined || to === undefined ? undefined : { from, to };
}

/**
 * Damage to the stored segments, named by seq range: `bit-rot`, and `records-lost` for a segment missing
 * before the last (verify calls its records lost: a later segment shows they were durable).
 */
function isStorageDamage(i: Issue): boolean {
  return (
    i.kind === 'bit-rot' ||
    (i.kind === 'records-lost' && i.message.includes('(a segment missing or cut short)'))
  );
}

/**
 * A `records-lost` issue that names a range ending at or below `lostBelowMark` (verify names the
 * records lost from the first missing one through the mark). Never true without such damage, nor for an
 * issue without a range (an unreadable high-water-mark file: no damage here ever touches it).
 */
function isRecordsLostBelow(i: Issue, lostBelowMark: number | undefined): boolean {
  if (i.kind !== 'records-lost' || lostBelowMark === undefined) return false;
  const m = /sequence numbers (\d+)\.\.(\d+)/.exec(i.message);
  return m !== null && Number(m[1]) >= 1 && Number(m[2]) <= lostBelowMark;
}

function checkSequence(
  records: readonly ObservedRecord[],
  mayLose: ReadonlySet<number>,
  say: (s: string) => void,
): Map<number, ObservedRecord> {
  const bySeq = new Map<number, ObservedRecord>();
  let prev = 0;
  for (const r of records) {
    if (r.seq <= prev) {
      say(
        r.seq === prev
          ? `sequence number ${r.seq} appears twice`
          : `sequence number ${r.seq} is read after ${prev}: out of order`,
      );
      continue;
    }
    const missing: number[] = [];
    for (let s = prev + 1; s < r.seq; s++) if (!mayLose.has(s)) missing.push(s);
    if (missing.length > 0) say(`sequence numbers ${range(missing)} are missing: a gap before ${r.seq}`);
    bySeq.set(r.seq, r);
    prev = r.seq;
  }
  return bySeq;
}

function checkAcknowledged(
  ledger: LedgerView,
  bySeq: ReadonlyMap<number, ObservedRecord>,
  mayLose: ReadonlySet<number>,
  say: (s: string) => void,
): void {
  const lost: number[] = [];
  for (const [seq, payload] of [...ledger.acknowledged].sort((a, b) => a[0] - b[0])) {
    const r = bySeq.get(seq);
    if (r === undefined) {
      if (!mayLose.has(seq)) lost.push(seq);
      continue;
    }
    const diff = firstDifference(payload, r.payload);
    if (diff !== undefined) say(`acknowledged record ${seq} is not byte-exact: ${diff}`);
  }
  if (lost.length > 0) say(`acknowledged ${seqList(lost)} ${lost.length === 1 ? 'is' : 'are'} lost`);
}

function checkIdentity(input: OracleInput, say: (s: string) => void): void {
  const types = input.writerTypes ?? [FrameType.RECORD];
  const seenAt = new Map<number, number>();
  let last: { seq: number; order: number } | undefined;
  for (const r of input.observation.records) {
    if (!types.includes(r.type)) continue;
    const a = input.ledger.identify(r.payload);
    if (a === undefined) {
      say(`record ${r.seq} (${r.payload.length} bytes) is not whole: no append ever had these bytes`);
      continue;
    }
    const before = seenAt.get(a.order);
    if (before !== undefined) {
      say(`the record of append #${a.order} appears twice, at ${before} and ${r.seq}`);
      continue;
    }
    seenAt.set(a.order, r.seq);
    if (last !== undefined && a.order < last.order) {
      say(
        `records out of order: ${r.seq} holds append #${a.order}, called before append #${last.order} at ${last.seq}`,
      );
    }
    last = { seq: r.seq, order: a.order };
  }
}

function checkVerify(
  report: VerifyReport,
  damage: InjectedDamage | undefined,
  say: (s: string) => void,
): void {
  const firstHit = damage && damage.mayLose.size > 0 ? Math.min(...damage.mayLose) : undefined;
  for (const i of report.issues) {
    const explained =
      damage !== undefined &&
      (isStorageDamage(i) ||
        isRecordsLostBelow(i, damage.lostBelowMark) ||
        (CONSEQUENCES.has(i.kind) && firstHit !== undefined && (i.seq === undefined || i.seq >= firstHit)));
    if (!explained) say(`verify: ${i.kind} at WAL seq ${i.seq ?? '?'}: ${i.message}`);
  }
  if (report.issuesOmitted > 0 && damage === undefined)
    say(`verify: ${report.issuesOmitted} more issues not listed`);
  if (!report.ok && report.firstIssue === undefined) {
    say(`verify did not check the signatures: ${report.warnings.join('; ')}`);
  }
}

function firstDifference(expected: Uint8Array, actual: Uint8Array): string | undefined {
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i])
      return `byte ${i} is ${hexByte(actual[i])}, acknowledged ${hexByte(expected[i])} (${actual.length} bytes)`;
  }
  if (expected.length !== actual.length) return `${actual.length} bytes, acknowledged ${expected.length}`;
  return undefined;
}

function hexByte(b: number | undefined): string {
  return `0x${(b ?? 0).toString(16).padStart(2, '0')}`;
}

/** "record 7" / "records 3..5, 9" */
export function seqList(seqs: readonly number[]): string {
  if (seqs.length === 0) return 'none';
  return `${seqs.length === 1 ? 'record' : 'records'} ${range(seqs)}`;
}

/** Compact ranges of sorted or unsorted numbers: "3..5, 9" (at most 10 ranges, then "...") */
export function range(values: readonly number[]): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length;) {
    let j = i;
    while (j + 1 < v.length && (v[j + 1] as number) === (v[j] as number) + 1) j++;
    parts.push(i === j ? `${v[i]}` : `${v[i]}..${v[j]}`);
    i = j + 1;
  }
  return parts.length > 10 ? `${parts.slice(0, 10).join(', ')}, ...` : parts.join(', ');
}
