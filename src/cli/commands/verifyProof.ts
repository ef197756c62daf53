/**
 * `otel-audit verify-proof FILE --public-key FILE [--public-key FILE ...]`:
 * checks a proof written by `otel-audit prove` with nothing but the proof
 * and the trusted public keys (or certificates) — what an auditor runs,
 * without access to the WAL. Prints what was proven: the record (for an
 * inclusion proof), the stream, the tree sizes, and the key that signed.
 *
 * Exit codes: 0 the proof is valid; 3 it is not (the reason is printed);
 * 1 the file is not a proof (malformed) or a key cannot be loaded.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OtelAuditError } from '../../errors.ts';
import { describeRecord } from '../../integrity/proof/describeRecord.ts';
import { ProofMalformedError } from '../../integrity/proof/errors.ts';
import type { CheckpointSummary, ProofCheck } from '../../integrity/proof/ProofCheck.ts';
import { PROOF_BYTES_MAX } from '../../integrity/proof/ProofDocument.ts';
import { verifyProofDocument } from '../../integrity/proof/verifyProof.ts';
import { KeyRing } from '../../integrity/sign/KeyRing.ts';
import { loadPublicKey } from '../../integrity/sign/loadKeys.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { formatTimeUnixNano } from '../internal/time.ts';

export interface VerifyProofOptions {
  readonly publicKey: readonly string[];
  readonly json?: boolean;
}

export function addVerifyProofCommand(parent: Command, context: CommandContext): void {
  parent
    .command('verify-proof')
    .description('check a proof from "prove" with the public key alone (no WAL needed)')
    .argument('<file>', 'the proof (JSON)')
    .option(
      '--public-key <file>',
      'trusted public key or certificate, PEM (repeat for several keys)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--json', 'print the result as one JSON object')
    .action((file: string, options: VerifyProofOptions, command: Command) => {
      if (options.publicKey.length === 0) {
        command.error('error: give at least one --public-key <file>', { code: 'otel-audit.noKey' });
      }
      context.setExitCode(runVerifyProof(file, options, context.io));
    });
}

export function runVerifyProof(file: string, o: VerifyProofOptions, io: CliIo): ExitCode {
  const keys = new KeyRing();
  for (const key of o.publicKey) keys.add(loadPublicKey({ file: path.resolve(io.cwd, key) }));
  const result = verifyProofDocument(readProofFile(path.resolve(io.cwd, file), file), keys);
  const lines = o.json === true ? [JSON.stringify(resultJson(result))] : describe(result);
  io.stdout.write(`${lines.join('\n')}\n`);
  if (!result.ok && o.json !== true)
    io.stderr.write(`otel-audit: verify-proof: ${file}: the proof is NOT valid\n`);
  return result.ok ? EXIT.OK : EXIT.DAMAGE;
}

function readProofFile(resolved: string, given: string): Buffer {
  let size: number;
  try {
    size = statSync(resolved).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new OtelAuditError('INVALID_ARGUMENT', `${given}: no such file`);
  }
  if (size > PROOF_BYTES_MAX)
    throw new ProofMalformedError('', `${given} is larger than ${PROOF_BYTES_MAX} bytes`);
  return readFileSync(resolved);
}

function describe(r: ProofCheck): string[] {
  if (!r.ok) return [`INVALID ${r.type} proof`, `  ${r.failure}: ${r.reason}`];
  if (r.type === 'consistency') {
    return [
      'VALID consistency proof',
      `  stream:      ${r.streamId}`,
      `  first:       ${checkpointLine(r.first)}`,
      `  second:      ${checkpointLine(r.second)}`,
      `  proven:      the log of ${r.second.treeSize} records extends the log of ${r.first.treeSize} records (nothing in 1..${r.first.treeSize} was changed, removed or reordered)`,
    ];
  }
  const d = describeRecord(r.record);
  const time = r.record.timeUnixNano !== 0n ? r.record.timeUnixNano : r.record.observedTimeUnixNano;
  return [
    'VALID inclusion proof',
    `  stream:      ${r.streamId}`,
    `  record:      number ${r.leafIndex + 1} of ${r.treeSize} (leaf index ${r.leafIndex})`,
    `  record hash: ${r.recordHash} (recomputed from the record in the proof)`,
    `  time:        ${time === 0n ? '(none)' : formatTimeUnixNano(time)}`,
    `  event:       ${d.eventName === '' ? '(none)' : d.eventName}`,
    `  severity:    ${d.severity}`,
    `  body:        ${d.body}`,
    `  attributes:  ${d.attributes === '' ? '(none)' : d.attributes}`,
    `  checkpoint:  ${checkpointLine(r.checkpoint)}`,
  ];
}

function checkpointLine(c: CheckpointSummary): string {
  return `tree size ${c.treeSize}, root ${c.rootHash}, ${formatTimeUnixNano(c.timeUnixNano)}, signed ${c.algorithm} by key ${c.keyId}`;
}

function resultJson(r: ProofCheck): Record<string, unknown> {
  if (!r.ok) return { valid: false, type: r.type, failure: r.failure, reason: r.reason };
  const cp = (c: CheckpointSummary) => ({
    tree_size: c.treeSize,
    root_hash: c.rootHash,
    chain_head: c.chainHead,
    time_unix_nano: String(c.timeUnixNano),
    algorithm: c.algorithm,
    key_id: c.keyId,
  });
  if (r.type === 'consistency')
    return { valid: true, type: r.type, stream_id: r.streamId, first: cp(r.first), second: cp(r.second) };
  return {
    valid: true,
    type: r.type,
    stream_id: r.streamId,
    leaf_index: r.leafIndex,
    tree_size: r.treeSize,
    record_hash: r.recordHash,
    checkpoint: cp(r.checkpoint),
  };
}
