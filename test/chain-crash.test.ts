/**
 * The chain head is recovered from the WAL on start: a crash never forks or
 * breaks the chain. A child process (fixtures/chainCrashChild.ts) runs a real
 * Service with audit_chain + audit_sign on one WAL directory and sends records
 * from several concurrent loops; the parent kills it with SIGKILL at a random
 * moment (seeded, during start-up and recovery as well as under load), starts
 * the next child on the same directory, and after every round verifies the
 * whole WAL with the public key:
 * - `verifyWal` finds nothing (no fork, no broken link, no bad root or signature);
 * - exactly one stream, numbered 1..N in WAL order, without gaps;
 * - at least every acknowledged record is there.
 *
 * Env: CHAIN_CRASH_SEED (reproduce), CHAIN_CRASH_ROUNDS (default 16).
 */
import { spawn } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { prng } from './fixtures/walCrashPayload.ts';
import { walRecords } from './helpers/startService.ts';

const CHILD = fileURLToPath(new URL('./fixtures/chainCrashChild.ts', import.meta.url));

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

const SEED = envInt('CHAIN_CRASH_SEED', randomBytes(4).readUInt32LE(0));
const ROUNDS = envInt('CHAIN_CRASH_ROUNDS', 16);

interface ChildResult {
  readonly started: boolean;
  readonly acked: number;
  readonly rejected: readonly string[];
  readonly problems: readonly string[];
  readonly stderr: string;
}

interface ChildRun {
  /** Resolves once the child has loaded its modules and waits for `go`. */
  readonly loaded: Promise<void>;
  /** Lets the child start the Service; it is killed `killAfterMs` later (after go, or after it reports it started). */
  go(killAfterMs: number, fromStart: boolean): void;
  readonly done: Promise<ChildResult>;
}

/** Spawns a child that loads its modules, then waits for `go` before touching the directory. */
function startChild(a: { dir: string; key: string; round: number; seed: number }): ChildRun {
  const child = spawn(
    process.execPath,
    [CHILD, '--dir', a.dir, '--key', a.key, '--round', String(a.round), '--seed', String(a.seed)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let started = false;
  let acked = 0;
  const rejected: string[] = [];
  const problems: string[] = [];
  let buffered = '';
  let stderr = '';
  let killedByPlan = false;
  let killTimer: NodeJS.Timeout | undefined;
  let onLoaded = (): void => undefined;
  let onStarted = (): void => undefined;
  const loaded = new Promise<void>((resolve) => (onLoaded = resolve));
  const onLine = (line: string): void => {
    if (line === 'L') onLoaded();
    else if (line === 'S') {
      started = true;
      onStarted();
    } else if (/^A \d+$/.test(line)) acked += Number(line.slice(2));
    else if (line.startsWith('F ')) rejected.push(line.slice(2));
    else problems.push(`unexpected line from child: ${JSON.stringify(line.slice(0, 200))}`);
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  child.stdin.on('error', () => undefined);
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    // After the exit and the end of stdout: every whole line has been read (a cut last line claims nothing).
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      onLoaded();
      if (!killedByPlan || signal !== 'SIGKILL')
        problems.push(`child ended on its own (code ${code}, signal ${signal}) before the kill`);
      resolve({ started, acked, rejected, problems, stderr });
    });
  });
  return {
    loaded,
    go: (killAfterMs, fromStart) => {
      child.stdin.end('go\n');
      const arm = (): void => {
        killTimer = setTimeout(() => {
          killedByPlan = true;
          child.kill('SIGKILL');
        }, killAfterMs);
      };
      // Kills meant for the middle of the load wait for the Service to be up: on a busy machine start-up
      // alone can take longer than the planned delay.
      if (fromStart) onStarted = arm;
      else arm();
    },
    done,
  };
}

const tmp = makeTempDir('otel-audit-chain-crash-');
afterAll(() => tmp.cleanup());

describe('chain recovery across SIGKILL', () => {
  it(`never forks or breaks the chain (seed ${SEED}, ${ROUNDS} rounds)`, async () => {
    const rnd = prng(SEED);
    const keys = generateKeyPair('EdDSA');
    const keyFile = path.join(tmp.dir, 'signing.key.pem');
    fs.writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
    const ring = new KeyRing();
    ring.add(createPublicKey(keys.publicKeyPem));
    const dir = path.join(tmp.dir, 'wal');
    const context = (round: number): string => `seed ${SEED}, round ${round}, dir ${dir}`;

    let acked = 0;
    let roundsWithAcks = 0;
    let records = 0;
    const spawnChild = (round: number): ChildRun =>
      startChild({ dir, key: keyFile, round, seed: Math.floor(rnd() * 2 ** 32) });
    let next: ChildRun | undefined = spawnChild(0);
    for (let round = 0; round < ROUNDS; round++) {
      const child: ChildRun = next as ChildRun;
      await child.loaded;
      // A quarter of the kills land early: during start-up, chain recovery and the first batches.
      const early = rnd() < 0.25;
      const killAfterMs = early ? Math.floor(rnd() * 200) : 50 + Math.floor(rnd() * 500);
      child.go(killAfterMs, !early);
      // The next child loads its modules meanwhile (it touches nothing before its go).
      next = round + 1 < ROUNDS ? spawnChild(round + 1) : undefined;
      const result = await child.done;
      expect(result.problems, `${context(round)}\n${result.stderr}`).toEqual([]);
      expect(result.rejected, context(round)).toEqual([]);
      expect(result.stderr, context(round)).not.toMatch(/chain recovery/);
      acked += result.acked;
      if (result.acked > 0) roundsWithAcks++;

      if (!fs.existsSync(dir)) continue; // killed before the WAL was created
      const report = verifyWal({ dir, keys: ring });
      expect(report.issues, context(round)).toEqual([]);
      expect(report.ok, `${context(round)}: ${report.warnings.join('; ')}`).toBe(true);
      expect(report.streams.length, context(round)).toBeLessThanOrEqual(1);
      const chained = report.streams[0]?.records ?? 0;
      expect(chained, context(round)).toBe(report.records);
      expect(chained, context(round)).toBeGreaterThanOrEqual(records);
      records = chained;
      // Every acknowledged record is in the log (unacknowledged ones may be too).
      expect(records, context(round)).toBeGreaterThanOrEqual(acked);
    }

    expect(roundsWithAcks).toBeGreaterThanOrEqual(ROUNDS / 3);
    const all = walRecords(dir);
    const streamIds = new Set(
      all.map((r) => r.attributes.find((kv) => kv.key === 'audit.sequence.stream_id')?.value),
    );
    expect(streamIds.size).toBe(1);
    expect(fs.readFileSync(path.join(dir, 'stream_id'), 'utf8').trim()).toBe([...streamIds][0]);
    const numbers = all.map((r) => r.attributes.find((kv) => kv.key === 'audit.sequence.number')?.value);
    expect(numbers).toEqual(Array.from({ length: all.length }, (_, i) => BigInt(i + 1)));
    const final = verifyWal({ dir, keys: ring });
    expect(final.ok).toBe(true);
    expect(final.streams).toEqual([expect.objectContaining({ records: all.length })]);
    expect(final.streams[0]?.signedCheckpoints).toBeGreaterThan(ROUNDS);
  }, 60_000);
});
