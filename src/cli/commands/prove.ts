/**
 * `otel-audit prove`: writes a proof a third party checks with the public
 * key alone (`otel-audit verify-proof`, docs/integrity.md "Proofs"):
 *
 *   prove --wal DIR --seq N | --record N [--checkpoint SIZE] [--stream ID] [--out FILE]
 *       inclusion of one record (by WAL sequence number, or by chain number)
 *       in the tree of the smallest signed checkpoint covering it, or of
 *       the signed checkpoint of tree size SIZE;
 *   prove --wal DIR --consistency --from SIZE --to SIZE [--stream ID] [--out FILE]
 *       the tree of the later signed checkpoint extends that of the earlier one.
 *
 * The WAL is opened read-only and read once up to the checkpoint needed
 * (32 bytes of memory per record of the stream, see WalLeafHashSource). A
 * proof is only written if the WAL's records reproduce the signed root:
 * otherwise the exit code is 3 (run `otel-audit verify`). A sealed segment
 * whose frames do not match its footer is read frame by frame and named in a
 * notice on stderr (WalLeafHashSource `footerMismatch`).
 *
 * Records are decoded within `--record-elements-max` protobuf elements
 * (default: verify's), so a hostile frame cannot exhaust memory: the record
 * to prove beyond it fails with DECODE_LIMIT (exit 1) naming its seq; one
 * met on the way is skipped, and the proof fails naming it if it was one of
 * the records the proof covers (WalLeafHashSource).
 *
 * A proof whose text would be larger than verify-proof reads (PROOF_BYTES_MAX,
 * 64 MiB: a record of more than ~11 MiB of control characters, each `\u00XX`
 * in JSON) is not written: `ProofTooLargeError` (INVALID_ARGUMENT, exit 1),
 * also when it would not even fit in a JavaScript string.
 */
import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OtelAuditError } from '../../errors.ts';
import { attr } from '../../integrity/chain/recoverChain.ts';
import { ATTR_SEQUENCE_NUMBER, ATTR_SEQUENCE_STREAM_ID } from '../../integrity/names.ts';
import { buildConsistencyProof, buildInclusionProof } from '../../integrity/proof/generateProof.ts';
import { formatProof, type ProofDocument } from '../../integrity/proof/ProofDocument.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT } from '../../integrity/verify/decodeStoredRecord.ts';
import {
  WalLeafHashSource,
  readWalRecord,
  type CheckpointRef,
} from '../../integrity/proof/WalLeafHashSource.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { parsePositiveInteger } from '../internal/argParsers.ts';
import { Progress } from '../internal/Progress.ts';
import { fsyncDirectory } from '../internal/writeKeyFiles.ts';
import { realDirectory } from '../../../config/internal/realDirectory.ts';

export interface ProveOptions {
  readonly wal: string;
  readonly seq?: number;
  readonly record?: number;
  readonly checkpoint?: number;
  readonly consistency?: boolean;
  readonly from?: number;
  readonly to?: number;
  readonly stream?: string;
  readonly out?: string;
  readonly progress?: boolean;
  /** Protobuf elements one record may decode into. */
  readonly recordElementsMax?: number;
}

export function addProveCommand(parent: Command, context: CommandContext): void {
  parent
    .command('prove')
    .description('write an inclusion or consistency proof that verify-proof checks without the WAL')
    .requiredOption('--wal <dir>', 'WAL directory (read-only)')
    .option('--seq <n>', 'inclusion of the record with this WAL sequence number', parsePositiveInteger)
    .option(
      '--record <n>',
      'inclusion of the record with this chain number (audit.sequence.number)',
      parsePositiveInteger,
    )
    .option(
      '--checkpoint <size>',
      'prove against the signed checkpoint of this tree size',
      parsePositiveInteger,
    )
    .option('--consistency', 'a consistency proof between two signed checkpoints (--from, --to)')
    .option('--from <size>', 'tree size of the earlier signed checkpoint', parsePositiveInteger)
    .option('--to <size>', 'tree size of the later signed checkpoint', parsePositiveInteger)
    .option('--stream <id>', 'the chain (audit.sequence.stream_id); needed when the WAL holds several')
    .option('--out <file>', 'write the proof here instead of stdout')
    .option('--progress', 'report frames read on stderr every 2 s (default when stderr is a terminal)')
    .option(
      '--record-elements-max <n>',
      'protobuf elements one record may decode into: bounds the memory a hostile frame can take',
      parsePositiveInteger,
      RECORD_ELEMENTS_MAX_DEFAULT,
    )
    .action(async (options: ProveOptions, command: Command) => {
      const problem = usageProblem(options);
      if (problem !== undefined) command.error(`error: ${problem}`, { code: 'otel-audit.badProve' });
      context.setExitCode(await runProve(options, context.io));
    });
}

function usageProblem(o: ProveOptions): string | undefined {
  if (o.consistency === true) {
    if (o.seq !== undefined || o.record !== undefined || o.checkpoint !== undefined) {
      return '--consistency takes --from and --to, not --seq, --record or --checkpoint';
    }
    if (o.from === undefined || o.to === undefined)
      return '--consistency needs --from <size> and --to <size>';
    if (o.from > o.to) return `--from ${o.from} is larger than --to ${o.to}`;
    return undefined;
  }
  if (o.from !== undefined || o.to !== undefined) return '--from and --to belong to --consistency';
  if ((o.seq === undefined) === (o.record === undefined)) {
    return 'give one of --seq <n> or --record <n> (or --consistency --from <size> --to <size>)';
  }
  if (o.record !== undefined && o.checkpoint !== undefined && o.checkpoint < o.record) {
    return `--checkpoint ${o.checkpoint} does not cover --record ${o.record}`;
  }
  return undefined;
}

export async function runProve(o: ProveOptions, io: CliIo): Promise<ExitCode> {
  const dir = path.resolve(io.cwd, o.wal);
  checkDirectory(dir, o.wal);
  const log = (line: string): void => void io.stderr.write(`otel-audit: prove: ${line}\n`);
  const realWal = realDirectory(dir);
  if (
    o.out !== undefined &&
    (isInside(realWal, realDirectory(path.resolve(io.cwd, o.out))) ||
      isInside(realWal, realDirectory(path.dirname(path.resolve(io.cwd, o.out)))))
  ) {
    // prove only reads the WAL: its proof is never written over (or into) the directory it proves, by
    // whatever path (symlinks resolved; the write goes through a link only to a device or pipe: `writeOut`).
    log(`--out ${o.out} is inside the WAL directory ${o.wal}; write the proof elsewhere`);
    return EXIT.USAGE;
  }
  const progress =
    o.progress === true || io.stderr.isTTY === true
      ? new Progress({ stream: io.stderr, label: 'prove', unit: 'frames read' })
      : undefined;
  const onProgress = (frames: number): void => progress?.tick(frames);
  const recordElementsMax = o.recordElementsMax ?? RECORD_ELEMENTS_MAX_DEFAULT;
  let proof: ProofDocument;
  let said: string;
  let skipped: string | undefined;
  let footerMismatch: string | undefined;
  if (o.consistency === true) {
    const first = o.from as number;
    const second = o.to as number;
    const signedAt = (c: CheckpointRef, size: number): boolean =>
      c.algorithm !== 'none' && c.treeSize === size;
    const source = WalLeafHashSource.load({
      dir,
      ...(o.stream === undefined ? {} : { streamId: o.stream }),
      stopAfter: (c) => signedAt(c, second),
      onProgress,
      recordElementsMax,
    });
    const r = buildConsistencyProof(source, { first, second });
    skipped = source.skipped;
    footerMismatch = source.footerMismatch;
    proof = r.proof;
    said = `consistency of stream ${source.streamId} from tree size ${first} (seq ${r.first.seq}) to ${second} (seq ${r.second.seq}), ${r.second.algorithm} key ${r.second.keyId}`;
  } else {
    const target = locateTarget(dir, o, recordElementsMax);
    const source = WalLeafHashSource.load({
      dir,
      ...(target.streamId === undefined ? {} : { streamId: target.streamId }),
      stopAfter: (c) =>
        c.algorithm !== 'none' &&
        (o.checkpoint === undefined ? c.treeSize > target.leafIndex : c.treeSize === o.checkpoint),
      locate: [target.leafIndex],
      onProgress,
      recordElementsMax,
    });
    const recordSeq = target.seq ?? source.seqOf(target.leafIndex);
    if (recordSeq === undefined) {
      throw new OtelAuditError(
        'INVALID_ARGUMENT',
        `stream ${source.streamId} has no record ${target.leafIndex + 1} (${source.size} records read` +
          (source.damage === undefined ? '' : `; reading stopped: ${source.damage}`) +
          (source.skipped === undefined || source.damage !== undefined ? ')' : `; ${source.skipped})`),
      );
    }
    const r = buildInclusionProof(source, {
      leafIndex: target.leafIndex,
      recordSeq,
      ...(o.checkpoint === undefined ? {} : { treeSize: o.checkpoint }),
    });
    proof = r.proof;
    skipped = source.skipped;
    footerMismatch = source.footerMismatch;
    said = `inclusion of record ${target.leafIndex + 1} (seq ${recordSeq}) of stream ${source.streamId} in the tree of ${r.checkpoint.treeSize} records (checkpoint seq ${r.checkpoint.seq}, ${r.checkpoint.algorithm} key ${r.checkpoint.keyId})`;
  }
  if (skipped !== undefined) {
    log(`notice: ${skipped}; the chain numbers show it is none of the records proven`);
  }
  if (footerMismatch !== undefined) {
    // The proof stands (its root is the signed one); the WAL is damaged all the same.
    log(`notice: ${footerMismatch}; its frames were read one by one (run otel-audit verify)`);
  }
  const text = formatProof(proof);
  if (o.out === undefined) {
    io.stdout.write(text);
    log(said);
  } else {
    writeOut(path.resolve(io.cwd, o.out), text);
    log(`${said} → ${o.out}`);
  }
  return EXIT.OK;
}

/** The leaf to prove: from the record at --seq (its stream and chain number), or --record. */
function locateTarget(
  dir: string,
  o: ProveOptions,
  recordElementsMax: number,
): { leafIndex: number; seq: number | undefined; streamId: string | undefined } {
  if (o.seq === undefined) return { leafIndex: (o.record as number) - 1, seq: undefined, streamId: o.stream };
  const record = readWalRecord(dir, o.seq, undefined, recordElementsMax);
  const streamId = attr(record, ATTR_SEQUENCE_STREAM_ID);
  const number = attr(record, ATTR_SEQUENCE_NUMBER);
  if (typeof streamId !== 'string' || typeof number !== 'bigint' || number < 1n) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `the record at seq ${o.seq} is not chained (written without audit_chain)`,
    );
  }
  if (o.stream !== undefined && o.stream !== streamId) {
    throw new OtelAuditError(
      'INVALID_ARGUMENT',
      `the record at seq ${o.seq} belongs to stream ${streamId}, not ${o.stream}`,
    );
  }
  return { leafIndex: Number(number) - 1, seq: o.seq, streamId };
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

/** Whether `inner` is `outer` or below it. */
function isInside(outer: string, inner: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Writes the proof to `out`. A new or regular file (or a symlink to one, outside /dev and /proc) is
 * replaced, not written through: the text goes to a new file in the same directory (exclusive create,
 * synced), renamed over `out`, the directory synced; a symlink or hard link at `out` (to a WAL segment, say)
 * is replaced as a directory entry, what it pointed to left as it was. Anything else — a FIFO, a device
 * (`/dev/null`, `/dev/stdout`), a descriptor alias (`/dev/fd/N` of `--out >(gzip)`) — is written through:
 * renaming a regular file over it would replace the device or pipe itself.
 */
function writeOut(out: string, text: string): void {
  if (!replaceable(out)) {
    writeFileSync(out, text);
    return;
  }
  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDirectory(path.dirname(out));
}

/** Whether `out` is replaced by `writeOut` (absent, a regular file, or a link to one outside /dev and /proc). */
function replaceable(out: string): boolean {
  let entry: Stats;
  try {
    entry = lstatSync(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  if (isInside('/dev', out) || isInside('/proc', out)) return false;
  try {
    return statSync(out).isFile();
  } catch {
    return true; // a dangling link: replaced by the new file
  }
}
