/**
 * `otel-audit replay --wal DIR`: prints stored records to stdout, selected by
 * sequence number and/or time (bounds inclusive), as JSON lines or as
 * OTLP/JSON requests (internal/replayFormats.ts).
 *
 * The WAL is opened read-only (no lock, nothing changed on disk), so it can
 * run next to a live writer. Records stream from disk to stdout: memory holds
 * one output chunk and at most one OTLP/JSON batch. Damage is reported on
 * stderr and reading goes on past it; the exit code is then 3. With
 * `--verify tail` (the default) a sealed segment is trusted through its footer
 * at open and checked against it as it is read (src/wal/readOnly.ts): one
 * whose frames do not match its footer (bit rot, or a footer that lies about
 * its last number or count) is reported and read on frame by frame, so no
 * intact record of the range is skipped for what its footer says.
 *
 * A stored record is decoded within `--record-elements-max` protobuf elements
 * (default: verify's, the otlp receiver's default `max_elements_per_request`)
 * and only if its payload is no larger than the WAL writer ever stores
 * (src/integrity/verify/decodeStoredRecord.ts): a hostile frame built to
 * exhaust memory is reported like an undecodable one and reading goes on.
 * A record whose JSON would be longer than a JavaScript string can be (~512 Mi
 * characters: a string of 86+ MiB of control characters, each escaped as six)
 * is reported on stderr and skipped; it counts as a problem (exit 3).
 *
 * With `--key-store DIR --master-key FILE`, values encrypted by `audit_encrypt`
 * are shown decrypted, or as `[shredded]` when their data key was destroyed
 * (`keys shred`); one that fails authentication shows `[undecryptable]` and
 * counts as damage (src/privacy/RecordDecryptor.ts).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { OtelAuditError } from '../../errors.ts';
import { openRecordDecryptor } from '../../privacy/openKeyStore.ts';
import type { AuditRecord } from '../../record/AuditRecord.ts';
import {
  checkRecordElementsMax,
  decodeStoredRecord,
  RECORD_ELEMENTS_MAX_DEFAULT,
} from '../../integrity/verify/decodeStoredRecord.ts';
import { validateRecord } from '../../record/validateRecord.ts';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly, WAL_FRAME_BYTES_MAX } from '../../wal/readOnly.ts';
import type { RecoveryReport } from '../../wal/recover.ts';
import type { ReadDamage, WalRecord } from '../../wal/WalReader.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { parsePositiveInteger, parseTime } from '../internal/argParsers.ts';
import { OutputSink } from '../internal/OutputSink.ts';
import { Progress } from '../internal/Progress.ts';
import {
  BATCH_PAYLOAD_BYTES_MAX,
  REPLAY_FORMATS,
  createReplayFormatter,
  type ReplayFormat,
} from '../internal/replayFormats.ts';

export interface ReplayOptions {
  readonly wal: string;
  readonly fromSeq?: number;
  readonly toSeq?: number;
  readonly from?: bigint;
  readonly to?: bigint;
  readonly format: ReplayFormat;
  readonly limit?: number;
  readonly verify: 'tail' | 'full';
  readonly progress?: boolean;
  readonly keyStore?: string;
  readonly masterKey?: string;
  /** Protobuf elements one record may decode into; beyond it the record is reported and skipped. */
  readonly recordElementsMax?: number;
}

export function addReplayCommand(parent: Command, context: CommandContext): void {
  parent
    .command('replay')
    .description('print stored records from a WAL directory (read-only)')
    .requiredOption('--wal <dir>', 'WAL directory (the audit_wal exporter\'s "directory")')
    .option('--from-seq <n>', 'first sequence number (inclusive)', parsePositiveInteger)
    .option('--to-seq <n>', 'last sequence number (inclusive)', parsePositiveInteger)
    .option('--from <time>', 'earliest record time (inclusive): RFC 3339 or unix nanoseconds', parseTime)
    .option('--to <time>', 'latest record time (inclusive): RFC 3339 or unix nanoseconds', parseTime)
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(REPLAY_FORMATS)
        .default('jsonl' as ReplayFormat),
    )
    .option('--limit <n>', 'print at most n records', parsePositiveInteger)
    .addOption(
      new Option(
        '--verify <mode>',
        'check sealed segments through their footers at open and against them while reading (tail), or walk every frame at open (full)',
      )
        .choices(['tail', 'full'] as const)
        .default('tail'),
    )
    .option('--progress', 'report the record count on stderr every 2 s (default when stderr is a terminal)')
    .option('--key-store <dir>', 'decrypt audit_encrypt values with this key store ([shredded] if destroyed)')
    .option('--master-key <file>', "the key store's master key (standard base64), with --key-store")
    .option(
      '--record-elements-max <n>',
      'protobuf elements one record may decode into: bounds the memory a hostile frame can take; a record beyond it is reported and skipped (exit 3)',
      parsePositiveInteger,
      RECORD_ELEMENTS_MAX_DEFAULT,
    )
    .action(async (options: ReplayOptions, command: Command) => {
      const badRange = rangeProblem(options);
      if (badRange !== undefined) command.error(`error: ${badRange}`, { code: 'otel-audit.badRange' });
      context.setExitCode(await runReplay(options, context.io));
    });
}

function rangeProblem(o: ReplayOptions): string | undefined {
  if (o.fromSeq !== undefined && o.toSeq !== undefined && o.fromSeq > o.toSeq) {
    return `--from-seq ${o.fromSeq} is after --to-seq ${o.toSeq}`;
  }
  if (o.from !== undefined && o.to !== undefined && o.from > o.to) return '--from is later than --to';
  return undefined;
}

export async function runReplay(o: ReplayOptions, io: CliIo): Promise<ExitCode> {
  const dir = path.resolve(io.cwd, o.wal);
  checkDirectory(dir, o.wal);
  const decryptor = openRecordDecryptor({ keyStore: o.keyStore, masterKey: o.masterKey, cwd: io.cwd });
  const log = (line: string) => io.stderr.write(`otel-audit: replay: ${line}\n`);
  const elementsMax = checkRecordElementsMax(o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT);
  const { report, reader, frameTooLarge } = openWalReadOnly({ dir, verify: o.verify });
  if (report.segments === 0) log(`notice: no WAL segments in ${o.wal}`);
  let damage = reportRecovery(report, frameTooLarge, log);
  // Recovery has already named these places; reading meets them again.
  const known = new Set(report.corruptions.map((c) => `${c.segment}@${c.offsetFrom}`));
  const onDamage = (d: ReadDamage) => {
    if (known.has(`${d.segment}@${d.offset}`)) return;
    damage++;
    // A sealed segment that is not what its footer says is read on frame by frame: no record is skipped for it.
    const then = d.sealedMismatch ? 'reading on frame by frame' : 'skipping to the next intact record';
    log(`damage: ${d.segment} at offset ${d.offset} (${d.reason}); ${then}`);
  };
  const out = new OutputSink(io.stdout);
  let formatter = createReplayFormatter(o.format);
  const progress =
    o.progress === true || io.stderr.isTTY === true
      ? new Progress({ stream: io.stderr, label: 'replay', unit: 'records' })
      : undefined;
  let count = 0;
  let unprintable = 0;
  for (const stored of reader.records({
    fromSeq: o.fromSeq,
    toSeq: o.toSeq,
    fromTimeUnixNano: o.from,
    toTimeUnixNano: o.to,
    types: [FrameType.RECORD],
    onDamage,
  })) {
    const record = decodeStored(stored, elementsMax, log);
    if (record === undefined) {
      damage++;
      continue;
    }
    const shown = decryptor?.reveal(record, (problem) => {
      damage++;
      log(`damage: record ${stored.seq}: ${problem}`);
    });
    const payloadBytes = stored.payload.length;
    if (payloadBytes > BATCH_PAYLOAD_BYTES_MAX) {
      // A large record is formatted alone: if it is too large to print, no other record loses its line.
      const held = formatter.finish();
      if (held !== undefined) await out.writeLine(held);
    }
    let line: string | undefined;
    try {
      line = formatter.add({
        seq: stored.seq,
        timeUnixNano: stored.timeUnixNano,
        record: shown ?? record,
        payloadBytes,
      });
    } catch (error) {
      if (!isStringTooLong(error)) throw error;
      formatter = createReplayFormatter(o.format); // it held only this record
      unprintable++;
      log(
        `error: record ${stored.seq} (${payloadBytes} bytes stored) cannot be printed: its JSON is longer than the longest string JavaScript can hold; skipped`,
      );
      continue;
    }
    count++;
    if (line !== undefined) await out.writeLine(line);
    if (out.closed || count === o.limit) break;
    progress?.tick(count);
  }
  const last = formatter.finish();
  if (last !== undefined) await out.writeLine(last);
  await out.flush();
  if (out.closed) return damage + unprintable > 0 ? EXIT.DAMAGE : EXIT.OK; // the reader went away (`| head`)
  progress?.done(count);
  if (unprintable > 0) {
    log(
      `${unprintable} ${unprintable === 1 ? 'record' : 'records'} too large to print` +
        (damage === 0 ? '' : `, damage found (${damage} ${damage === 1 ? 'problem' : 'problems'})`) +
        '; every other intact record was printed',
    );
    return EXIT.DAMAGE;
  }
  if (damage === 0) return EXIT.OK;
  log(`damage found (${damage} ${damage === 1 ? 'problem' : 'problems'}); every intact record was printed`);
  return EXIT.DAMAGE;
}

/** V8's RangeError for a string beyond its maximum length (~2^29 characters). */
function isStringTooLong(error: unknown): boolean {
  return error instanceof RangeError && error.message === 'Invalid string length';
}

function checkDirectory(dir: string, given: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new OtelAuditError('INVALID_ARGUMENT', `--wal ${given}: no such directory`);
  }
  if (!isDirectory) throw new OtelAuditError('INVALID_ARGUMENT', `--wal ${given}: not a directory`);
}

/** Prints what recovery found; returns how many problems count as damage (torn tails do not). */
function reportRecovery(
  report: RecoveryReport,
  frameTooLarge: (segment: string, offset: number) => number | undefined,
  log: (line: string) => void,
): number {
  for (const t of report.tornTails) {
    const discarded =
      t.discardedSeqFrom === undefined
        ? ''
        : `; records ${range(t.discardedSeqFrom, t.discardedSeqTo)} after it`;
    log(
      `notice: incomplete final write in ${t.segment} at offset ${t.offset}${discarded} never acknowledged, not shown`,
    );
  }
  for (const c of report.corruptions) {
    const where = c.offsetFrom === undefined ? '' : ` at offset ${range(c.offsetFrom, c.offsetTo)}`;
    const lost = c.seqFrom === undefined ? '' : `; records ${range(c.seqFrom, c.seqTo)} affected`;
    // A frame claiming more than any WAL writer writes was refused unread: say so, not just "bad-frame".
    const claimed =
      c.kind === 'bad-frame' && c.offsetFrom !== undefined
        ? frameTooLarge(c.segment, c.offsetFrom)
        : undefined;
    const why =
      claimed !== undefined
        ? `: the frame there claims ${claimed} bytes, more than the ${WAL_FRAME_BYTES_MAX} a WAL writer writes; not read`
        : c.detail === undefined
          ? ''
          : `: ${c.detail}`;
    log(`corruption: ${c.segment}${where} (${c.kind}${why})${lost}`);
  }
  return report.corruptions.length;
}

function range(from: number, to: number | undefined): string {
  return to === undefined || to === from ? `${from}` : `${from}-${to}`;
}

/**
 * The stored record, or undefined (reported) when its payload cannot be decoded, is beyond
 * `elementsMax` or breaks the model.
 */
function decodeStored(
  stored: WalRecord,
  elementsMax: number,
  log: (line: string) => void,
): AuditRecord | undefined {
  try {
    const record = decodeStoredRecord(stored, elementsMax);
    validateRecord(record);
    return record;
  } catch (error) {
    if (!(error instanceof OtelAuditError)) throw error;
    log(`damage: record ${stored.seq} cannot be decoded (${error.code}): ${error.message}`);
    return undefined;
  }
}
