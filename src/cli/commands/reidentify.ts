/**
 * `otel-audit reidentify --key FILE (--token TOKEN | --wal DIR --seq N)`:
 * recovers the original value of reversible pseudonym tokens
 * (`audit_pseudonymize` with `reversal_keys`). It needs the REVERSAL key
 * (standard base64 of 32 bytes) the token names; the pseudonym key cannot do
 * it, and plain tokens cannot be reversed at all.
 *
 * Output: one JSON line per token on stdout, the value in OTLP/JSON AnyValue
 * form (lossless for every kind):
 *   {"token":"pseu:…","value":{"stringValue":"alice@example.com"}}
 *   {"seq":7,"path":"attributes/user.email","token":"pseu:…","value":{…}}   (with --wal)
 * With --wal, a token that cannot be recovered (another reversal key, a
 * changed token) is reported on stderr and the others are still printed; the
 * exit code is then that of the first failure (1: wrong key, 3: failed
 * authentication). Damage met while looking for the record (the WAL is opened
 * read-only with `verify: 'tail'`: a sealed segment is checked against its
 * footer from its first frame, and one that does not match is read on frame
 * by frame) is reported on stderr; the record is still used if it is intact,
 * and the exit code is then 3.
 *
 * The record is decoded within `--record-elements-max` protobuf elements
 * (default: verify's) and only if its payload is no larger than the WAL
 * writer ever stores (src/integrity/verify/decodeStoredRecord.ts): a hostile
 * frame fails with DECODE_LIMIT (exit 1) or RECORD_DECODE (exit 3), naming
 * its seq, instead of exhausting memory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OtelAuditError } from '../../errors.ts';
import {
  checkRecordElementsMax,
  decodeStoredRecord,
  RECORD_ELEMENTS_MAX_DEFAULT,
} from '../../integrity/verify/decodeStoredRecord.ts';
import { loadSecretKey } from '../../privacy/KeyProvider.ts';
import { deriveReversalKey, reidentifyToken, type ReversalKey } from '../../privacy/pseudonym.ts';
import { recordTokens } from '../../privacy/recordTokens.ts';
import type { AnyValue } from '../../record/AnyValue.ts';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import type { ReadDamage } from '../../wal/WalReader.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, EXIT_BY_ERROR_CODE, type ExitCode } from '../exitCodes.ts';
import { parsePositiveInteger } from '../internal/argParsers.ts';
import { recordJson } from '../internal/replayFormats.ts';

export interface ReidentifyOptions {
  readonly key: string;
  readonly token?: string;
  readonly wal?: string;
  readonly seq?: number;
  /** Protobuf elements the record may decode into (with --wal). */
  readonly recordElementsMax?: number;
}

export function addReidentifyCommand(parent: Command, context: CommandContext): void {
  parent
    .command('reidentify')
    .description('recover the original value of reversible pseudonym tokens (needs the reversal key)')
    .requiredOption('--key <file>', 'the reversal key (standard base64 of 32 bytes)')
    .option('--token <token>', 'one reversible token (pseu:…)')
    .option('--wal <dir>', 'a WAL directory: recover every reversible token of record --seq')
    .option('--seq <n>', 'the record sequence number, with --wal', parsePositiveInteger)
    .option(
      '--record-elements-max <n>',
      'protobuf elements the record may decode into, with --wal: bounds the memory a hostile frame can take',
      parsePositiveInteger,
      RECORD_ELEMENTS_MAX_DEFAULT,
    )
    .action((options: ReidentifyOptions, command: Command) => {
      const byToken = options.token !== undefined;
      const byRecord = options.wal !== undefined || options.seq !== undefined;
      if (byToken === byRecord || (byRecord && (options.wal === undefined || options.seq === undefined))) {
        command.error('error: give either --token, or --wal and --seq', { code: 'otel-audit.usage' });
      }
      context.setExitCode(runReidentify(options, context.io));
    });
}

export function runReidentify(o: ReidentifyOptions, io: CliIo): ExitCode {
  const key = deriveReversalKey(loadSecretKey({ file: path.resolve(io.cwd, o.key) }));
  if (o.token !== undefined) {
    const value = reidentifyToken(o.token, key);
    io.stdout.write(`${JSON.stringify({ token: o.token, value: valueJson(value) })}\n`);
    return EXIT.OK;
  }
  const seq = o.seq as number;
  const elementsMax = checkRecordElementsMax(o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT);
  const damage: ReadDamage[] = [];
  const record = readRecord(path.resolve(io.cwd, o.wal as string), seq, elementsMax, damage);
  for (const d of damage) {
    io.stderr.write(
      `otel-audit: reidentify: damage: ${d.segment} at offset ${d.offset} (${d.reason}), met reading up to record ${seq}\n`,
    );
  }
  const exitCode = reidentifyRecord(record, seq, key, io);
  return exitCode === EXIT.OK && damage.length > 0 ? EXIT.DAMAGE : exitCode;
}

function reidentifyRecord(record: AuditRecord, seq: number, key: ReversalKey, io: CliIo): ExitCode {
  const tokens = recordTokens(record).filter((t) => t.reversible);
  if (tokens.length === 0)
    io.stderr.write(`otel-audit: reidentify: record ${seq} holds no reversible tokens\n`);
  let exitCode: ExitCode = EXIT.OK;
  for (const t of tokens) {
    const where = t.path.join('/');
    try {
      const value = valueJson(reidentifyToken(t.token, key));
      io.stdout.write(`${JSON.stringify({ seq, path: where, token: t.token, value })}\n`);
    } catch (error) {
      if (!(error instanceof OtelAuditError)) throw error;
      io.stderr.write(`otel-audit: reidentify: ${where}: ${error.code}: ${error.message}\n`);
      if (exitCode === EXIT.OK) exitCode = EXIT_BY_ERROR_CODE[error.code];
    }
  }
  return exitCode;
}

/**
 * Record `seq`, decoded. Damage met on the way (a sealed segment is checked against its footer from its
 * first frame, src/wal/readOnly.ts) goes to `damage`, and the record is still found if it is intact.
 */
function readRecord(dir: string, seq: number, elementsMax: number, damage: ReadDamage[]): AuditRecord {
  if (!existsSync(dir)) throw new OtelAuditError('INVALID_ARGUMENT', `--wal ${dir}: no such directory`);
  const { reader, report } = openWalReadOnly({ dir });
  const onDamage = (d: ReadDamage): void => void damage.push(d);
  for (const stored of reader.records({ fromSeq: seq, toSeq: seq, types: [FrameType.RECORD], onDamage })) {
    return decodeStoredRecord(stored, elementsMax);
  }
  // Not there because the WAL lost it (found when it was opened: a missing segment, damage recovery cut):
  // damage, not a wrong number.
  const lost = report.corruptions.find(
    (c) => c.seqFrom !== undefined && c.seqFrom <= seq && seq <= (c.seqTo ?? c.seqFrom),
  );
  if (lost !== undefined) {
    throw new OtelAuditError(
      'WAL_CORRUPT',
      `no record ${seq} in ${dir}: the WAL lost seqs ${lost.seqFrom}..${lost.seqTo ?? lost.seqFrom} (${lost.kind} in ${lost.segment}; run otel-audit verify)`,
    );
  }
  // Damage met reading the segments that hold its number (a sealed segment trusted at open is checked only
  // now): the record is likely lost to it. Damage, not a wrong number.
  const met = damage[0];
  if (met !== undefined) {
    throw new OtelAuditError(
      'WAL_CORRUPT',
      `no record ${seq} in ${dir}: damage met: ${met.segment} at offset ${met.offset} (${met.reason}; run otel-audit verify)`,
    );
  }
  throw new OtelAuditError('INVALID_ARGUMENT', `no record ${seq} in ${dir}`);
}

/** The OTLP/JSON AnyValue form, as replay prints values. */
function valueJson(value: AnyValue): unknown {
  return recordJson(createAuditRecord({ body: value }))['body'];
}
