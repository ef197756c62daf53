/**
 * `otel-audit verify --wal DIR [--public-key FILE ...] [--jobs N]`: checks a
 * WAL's tamper evidence with `verifyWalParallel` (per-record hashing in N
 * worker threads, default the CPU count; `--jobs 0` verifies in one thread
 * with `verifyWal`; the report is the same either way) — frame CRCs, the hash chain, Merkle
 * roots, checkpoint (and per-record) signatures against the trusted keys,
 * and, with `--published DIR`, the checkpoints published outside the host.
 * Prints a summary per stream, the first bad record and the kind of damage,
 * then up to `--issues-max` issues and the warnings; `--json` prints the
 * report as one JSON document instead. A record frame larger than
 * `--record-elements-max` protobuf elements (default 2 Mi) is not decoded:
 * it is reported `unverifiable` with its WAL seq, so a hostile WAL cannot
 * make verify run out of memory. A frame claiming more bytes than a WAL
 * writer writes is reported as bit rot at its position, unread; a
 * `--published` file over 1 MiB, or not a regular file, is reported
 * `published-unreadable`, unread.
 *
 * Exit code: 0 when everything is intact, 3 when damage is found, 1 for bad
 * input (no such directory, an unreadable key) and when signed checkpoints
 * could not be checked because no key was given. Read-only: it can run next
 * to a live writer (records not yet synced may then be missing at the tail).
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { OtelAuditError } from '../../errors.ts';
import { KeyRing } from '../../integrity/sign/KeyRing.ts';
import { loadCertificate, loadHmacKey, loadPublicKey } from '../../integrity/sign/loadKeys.ts';
import type { DamageKind, VerifyIssue, VerifyReport } from '../../integrity/verify/VerifyReport.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT } from '../../integrity/verify/verifyWal.ts';
import { verifyWalParallel, WORKERS_MAX } from '../../integrity/verify/verifyWalParallel.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { parsePositiveInteger } from '../internal/argParsers.ts';
import { Progress } from '../internal/Progress.ts';

export interface VerifyCommandOptions {
  readonly wal: string;
  readonly publicKey?: readonly string[];
  readonly hmacKey?: readonly string[];
  readonly published?: string;
  readonly json?: boolean;
  readonly issuesMax: number;
  readonly progress?: boolean;
  /** Accept a WAL without a single frame as intact (exit 0); by default that is "nothing verified", exit 1. */
  readonly allowEmpty?: boolean;
  /** Worker threads hashing records; 0 = none (verify in the main thread). */
  readonly jobs?: number;
  /** Protobuf elements one record may decode into; beyond it the record is reported unverifiable. */
  readonly recordElementsMax?: number;
}

export const VERIFY_ISSUES_MAX_DEFAULT = 100;

/**
 * Worker threads by default: the CPUs, at most 8. The main thread's ordered checks cap verify near
 * 200,000-240,000 records/s, reached with ~5 workers; each worker costs ~80 MiB, so one per CPU of a
 * large host would only spend memory.
 */
export const VERIFY_JOBS_DEFAULT = Math.min(os.availableParallelism(), 8);

/**
 * Every damage kind `verify` reports, with what it means (VerifyReport.ts says more), for `--help`. A
 * `Record` over `DamageKind`: a kind added there (or renamed) fails the typecheck until it is described
 * here, so the help cannot drift from the kinds (it listed none, so not `records-lost` either).
 */
export const DAMAGE_KIND_HELP: Readonly<Record<DamageKind, string>> = {
  'bit-rot':
    'storage damage: a frame failed its CRC or claims more bytes than a WAL writer writes, or the segment structure is damaged (a bad header or footer, zeroed or duplicated frames, a sequence gap)',
  'records-lost':
    'durable records are missing: the WAL ends before its high-water mark, or a segment before the last is missing or cut short (or the mark file is unreadable)',
  modified: "a record's content no longer matches its hash",
  deletion: 'chain numbers skip: records removed',
  insertion: 'a record whose number or link does not fit where it stands',
  reorder: 'records present but out of order',
  'broken-link': "a record's previous hash does not match its predecessor",
  truncation: 'a checkpoint covers more records than precede it, or a published one more than the WAL holds',
  'root-mismatch': "a checkpoint's Merkle root or chain head does not match the records",
  'forged-signature': 'a checkpoint or record signature does not verify',
  'unknown-key': 'signed by a key that is not trusted (--public-key, --hmac-key)',
  unsigned: 'a checkpoint without a signature while keys were given',
  undecodable:
    'a record or checkpoint frame, or --published file, that does not decode (a checkpoint frame over 1 MiB is not parsed), or a record with no canonical form or signing payload',
  unverifiable: 'a record not checked: beyond --record-elements-max, or its worker died',
  'too-many-streams': 'a frame of a stream beyond the streams verify checks: not checked',
  'published-unreadable': 'a --published file not read: over 1 MiB, not a regular file, or unreadable',
};

/** The `--help` section listing `DAMAGE_KIND_HELP`: one kind a line, meanings aligned and wrapped at 80 columns. */
export function damageKindsHelp(): string {
  const entries = Object.entries(DAMAGE_KIND_HELP);
  const indent = 4 + Math.max(...entries.map(([kind]) => kind.length));
  const lines: string[] = [];
  for (const [kind, meaning] of entries) {
    let line = `  ${kind}`.padEnd(indent);
    for (const word of meaning.split(' ')) {
      if (line.length > indent && line.length + 1 + word.length > 80) {
        lines.push(line);
        line = ' '.repeat(indent);
      }
      line += line.length > indent ? ` ${word}` : word;
    }
    lines.push(line);
  }
  return `\nDamage kinds (the report's "kind"; any of them exits 3):\n${lines.join('\n')}`;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function parseCount(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number from 0');
  return n;
}

export function addVerifyCommand(parent: Command, context: CommandContext): void {
  parent
    .command('verify')
    .description('check the tamper evidence of a WAL: CRCs, hash chain, Merkle roots, signatures (read-only)')
    .requiredOption('--wal <dir>', 'WAL directory (the audit_wal exporter\'s "directory")')
    .option(
      '--public-key <file>',
      'trusted public key or X.509 certificate (PEM); repeat to trust several (key rotation)',
      collect,
    )
    .option('--hmac-key <file>', 'trusted HMAC-SHA256 secret (standard base64); repeatable', collect)
    .option(
      '--published <dir>',
      'checkpoints published outside the host (audit_sign "publish_dir"): the WAL must match them',
    )
    .option('--json', 'print the report as one JSON document')
    .option('--issues-max <n>', 'list at most n issues', parseCount, VERIFY_ISSUES_MAX_DEFAULT)
    .option('--progress', 'report the frame count on stderr every 2 s (default when stderr is a terminal)')
    .option(
      '--allow-empty',
      'a WAL without a single frame is intact (exit 0); without it that is "nothing verified" (exit 1): a mistyped directory must not pass',
    )
    .option(
      '--jobs <n>',
      `worker threads that decode and hash records (default: the CPUs, at most 8; 0: none, verify in one thread; at most ${WORKERS_MAX})`,
      parseJobs,
      VERIFY_JOBS_DEFAULT,
    )
    .option(
      '--record-elements-max <n>',
      'protobuf elements one record may decode into: bounds the memory a hostile frame can take; a record beyond it is reported unverifiable (exit 3)',
      parsePositiveInteger,
      RECORD_ELEMENTS_MAX_DEFAULT,
    )
    .addHelpText('after', damageKindsHelp())
    .action(async (options: VerifyCommandOptions) =>
      context.setExitCode(await runVerify(options, context.io)),
    );
}

function parseJobs(value: string): number {
  const n = parseCount(value);
  if (n > WORKERS_MAX) throw new InvalidArgumentError(`expected at most ${WORKERS_MAX}`);
  return n;
}

export async function runVerify(o: VerifyCommandOptions, io: CliIo): Promise<ExitCode> {
  const dir = path.resolve(io.cwd, o.wal);
  checkDirectory(dir, `--wal ${o.wal}`);
  const published = o.published === undefined ? undefined : path.resolve(io.cwd, o.published);
  if (published !== undefined) checkDirectory(published, `--published ${o.published}`);
  const keys = loadKeyRing(o, io.cwd);
  const progress =
    o.progress === true || io.stderr.isTTY === true
      ? new Progress({ stream: io.stderr, label: 'verify', unit: 'frames' })
      : undefined;
  const report = await verifyWalParallel({
    dir,
    workers: o.jobs ?? VERIFY_JOBS_DEFAULT,
    keys,
    issuesMax: o.issuesMax,
    recordElementsMax: o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT,
    onProgress: (frames) => progress?.tick(frames),
    ...(published === undefined ? {} : { publishedDir: published }),
  });
  progress?.done(report.frames);
  // A directory without a single frame (a mistyped --wal, the parent of the WAL) proves nothing: an
  // audit job must not pass on it unless told the WAL may be empty.
  // (Damage found all the same, e.g. published checkpoints the empty WAL does not hold, is reported as damage.)
  const nothingVerified = report.frames === 0 && report.firstIssue === undefined && o.allowEmpty !== true;
  if (report.frames === 0 && !nothingVerified)
    io.stderr.write(`otel-audit: verify: notice: no WAL frames in ${o.wal}\n`);
  if (o.json === true) {
    // Every field present: what is unknown (a first issue, a WAL seq) is null.
    const json = JSON.stringify(
      // `ok` is false when nothing was verified: a job gating on it must not pass a mistyped --wal.
      { wal: dir, trustedKeys: keys.keyIds(), ...report, ok: report.ok && !nothingVerified, nothingVerified },
      (_, v: unknown) => v ?? null,
      2,
    );
    io.stdout.write(`${json}\n`);
  } else {
    io.stdout.write(formatReport(dir, keys, report, nothingVerified));
  }
  if (nothingVerified) {
    io.stderr.write(
      `otel-audit: verify: no WAL frames in ${o.wal}: nothing verified (--allow-empty accepts an empty WAL)\n`,
    );
    return EXIT.INVALID;
  }
  if (report.ok) return EXIT.OK;
  if (report.firstIssue !== undefined) return EXIT.DAMAGE;
  io.stderr.write(
    'otel-audit: verify: the checkpoints are signed but no trusted key was given (--public-key or --hmac-key): nothing is vouched for\n',
  );
  return EXIT.INVALID;
}

function checkDirectory(dir: string, what: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new OtelAuditError('INVALID_ARGUMENT', `${what}: no such directory`);
  }
  if (!isDirectory) throw new OtelAuditError('INVALID_ARGUMENT', `${what}: not a directory`);
}

function loadKeyRing(o: VerifyCommandOptions, cwd: string): KeyRing {
  const ring = new KeyRing();
  for (const given of o.publicKey ?? []) {
    const file = path.resolve(cwd, given);
    // A certificate is added as such, so records naming it (audit.integrity.certificate) find it.
    const isCertificate = /-----BEGIN CERTIFICATE-----/.test(readKeyText(file));
    ring.add(isCertificate ? loadCertificate({ file }) : loadPublicKey({ file }));
  }
  for (const given of o.hmacKey ?? []) ring.add(loadHmacKey({ file: path.resolve(cwd, given) }));
  return ring;
}

function readKeyText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // loadPublicKey reports the file
  }
}

function formatReport(dir: string, keys: KeyRing, r: VerifyReport, nothingVerified: boolean): string {
  const lines = [
    `WAL ${dir}: ${r.frames} frames, ${r.records} records (${r.unchainedRecords} unchained); ${keys.size} trusted ${keys.size === 1 ? 'key' : 'keys'}`,
  ];
  for (const s of r.streams) {
    lines.push(`stream ${s.streamId}`);
    lines.push(
      `  records      ${s.records === 0 ? 'none' : `1..${s.records}`} (checkpoints ${s.checkpoints}, signed ${s.signedCheckpoints}, last at ${s.lastCheckpointSize})`,
    );
    lines.push(`  root         ${s.rootHash}`);
    lines.push(`  head         ${s.chainHead || '(none)'}`);
  }
  const first = r.firstIssue;
  if (first !== undefined) {
    lines.push(`FIRST BAD RECORD: ${where(first)}: ${first.kind}`);
    lines.push(`  ${first.message}`);
    const total = r.issues.length + r.issuesOmitted;
    lines.push(`issues: ${total}${r.issuesOmitted > 0 ? ` (first ${r.issues.length} shown)` : ''}`);
    for (const i of r.issues) lines.push(`  ${where(i)}: ${i.kind}: ${i.message}`);
  }
  if (r.warnings.length > 0) {
    lines.push('warnings:');
    for (const w of r.warnings) lines.push(`  ${w}`);
  }
  lines.push(
    nothingVerified
      ? 'result: NOTHING VERIFIED (no WAL frames)'
      : r.ok
        ? 'result: intact'
        : first === undefined
          ? 'result: NOT VERIFIED (signatures not checked)'
          : `result: DAMAGED (${r.issues.length + r.issuesOmitted} ${r.issues.length + r.issuesOmitted === 1 ? 'issue' : 'issues'})`,
  );
  return `${lines.join('\n')}\n`;
}

function where(i: VerifyIssue): string {
  const parts = [i.seq === undefined ? 'WAL seq ?' : `WAL seq ${i.seq}`];
  if (i.streamId !== undefined) parts.push(`stream ${i.streamId}`);
  if (i.chainNumber !== undefined) parts.push(`record ${i.chainNumber}`);
  return parts.join(', ');
}
