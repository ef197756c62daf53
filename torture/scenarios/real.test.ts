/**
 * The real-process torture scenarios, a few iterations each inside
 * `npm test` (about 10-20 s together; the torture CLI runs them for long):
 * - Kill9DuringWrite: SIGKILL of a child appending to the WAL (raw, or
 *   chained and signed through createAuditLogging);
 * - Kill9DuringWriteServe: SIGKILL of `otel-audit serve` under load from the
 *   official OTLP exporters;
 * - RealDiskFull: the WAL filling a 4 MiB tmpfs to ENOSPC — SKIPPED, with the
 *   reason, where a tmpfs cannot be mounted (not root, a container without
 *   CAP_SYS_ADMIN, not Linux).
 *
 * Env: TORTURE_REAL_SEED (reproduce: iteration i of a scenario runs with
 * seed + i), TORTURE_REAL_ITERATIONS (scales the iteration counts).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { IterationResult, Scenario } from '../Scenario.ts';
import { skipReasonOfError } from '../skipped.ts';
import { kill9DuringWriteLibrary, releaseSpareChildren } from './kill9DuringWriteLibrary.ts';
import { kill9DuringWriteServe } from './kill9DuringWriteServe.ts';
import { realDiskFull } from './realDiskFull.ts';

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

const SEED = envInt('TORTURE_REAL_SEED', randomBytes(4).readUInt32LE(0));
const SCALE = envInt('TORTURE_REAL_ITERATIONS', 1);

interface Outcome {
  readonly results: IterationResult[];
  readonly skipped?: string;
  readonly ms: number;
}

async function iterate(s: Scenario, iterations: number): Promise<Outcome> {
  const results: IterationResult[] = [];
  const t0 = Date.now();
  for (let i = 0; i < iterations; i++) {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `torture-${s.name}-`));
    const seed = (SEED + i) >>> 0;
    try {
      const r = await s.run({ seed, iteration: i, workDir, signal: new AbortController().signal });
      expect(
        r.violations,
        `${s.name} iteration ${i} (TORTURE_REAL_SEED=${SEED}, seed ${seed}) found violations`,
      ).toEqual([]);
      expect(r.ok).toBe(true);
      results.push(r);
    } catch (err) {
      const reason = skipReasonOfError(err);
      if (reason !== undefined) return { results, skipped: reason, ms: Date.now() - t0 };
      throw err;
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
  const ms = Date.now() - t0;
  const acks = results.reduce((n, r) => n + r.acknowledged, 0);
  const faults = results.reduce((n, r) => n + r.faults, 0);
  console.log(
    `torture ${s.name}: ${results.length} iterations in ${ms} ms (${((results.length * 1000) / ms).toFixed(2)}/s), ` +
      `${faults} faults, ${acks} acknowledged records checked (TORTURE_REAL_SEED=${SEED})`,
  );
  return { results, ms };
}

describe('real-process torture scenarios stopped by the time budget', () => {
  it(`${realDiskFull.name}: an iteration stopped while filling does not claim the disk never filled`, async (ctx) => {
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `torture-${realDiskFull.name}-`));
    const stopped = new AbortController();
    stopped.abort();
    try {
      const r = await realDiskFull.run({ seed: SEED, iteration: 0, workDir, signal: stopped.signal });
      expect(r.violations).toEqual([]);
    } catch (err) {
      const reason = skipReasonOfError(err);
      if (reason === undefined) throw err;
      ctx.skip(reason);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('real-process torture scenarios', () => {
  afterAll(() => releaseSpareChildren());

  it(`${kill9DuringWriteLibrary.name}: kill -9 of a WAL writer (raw and chained) keeps every acknowledged record`, async () => {
    const out = await iterate(kill9DuringWriteLibrary, 6 * SCALE);
    expect(out.results.reduce((n, r) => n + r.acknowledged, 0)).toBeGreaterThan(0);
  }, 90_000);

  it(`${kill9DuringWriteServe.name}: kill -9 of otel-audit serve under OTLP load keeps every acknowledged record`, async () => {
    const out = await iterate(kill9DuringWriteServe, 1 * SCALE);
    expect(out.results.reduce((n, r) => n + r.acknowledged, 0)).toBeGreaterThan(0);
  }, 120_000);

  it(`${realDiskFull.name}: a really full file system refuses retryably, loses nothing, resumes`, async (ctx) => {
    const out = await iterate(realDiskFull, 3 * SCALE);
    if (out.skipped !== undefined) {
      console.log(`torture ${realDiskFull.name}: SKIPPED: ${out.skipped}`);
      ctx.skip(out.skipped);
      return;
    }
    expect(out.results.every((r) => r.faults > 0)).toBe(true);
  }, 60_000);
});
