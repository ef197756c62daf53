import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditLogging } from '../inprocess/createAuditLogging.ts';
import { decodeRecord } from '../record/walCodec.ts';
import { FrameType } from '../wal/format.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { RecordDecryptor } from './RecordDecryptor.ts';
import { KeyStore } from './KeyStore.ts';
import { secretKeyFromBytes, SecretKeyRing } from './SecretKey.ts';

const CHILD = fileURLToPath(new URL('./testutil/crashChild.ts', import.meta.url));
const tmp = makeTempDir('otel-audit-keystore-crash-');
afterAll(() => tmp.cleanup());

/**
 * Runs the child until it is up and has made `progressRecords` more records durable (by its own report,
 * so that a loaded machine only slows the test down), lets it emit for `runMs` more, then kills it
 * (SIGKILL).
 */
async function runAndKill(dir: string, master: string, tag: string, runMs: number): Promise<void> {
  const progressRecords = 60;
  const child = spawn(process.execPath, [CHILD, '--dir', dir, '--tag', tag], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CRASH_MASTER_KEY: master },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let base: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'ready') base = Number(n);
        else if (word === 'durable' && base !== undefined && Number(n) >= base + progressRecords) resolve();
      }
    });
    child.on('exit', () => reject(new Error(`child ended before it made progress: ${err}`)));
  });
  await new Promise((r) => setTimeout(r, runMs));
  child.kill('SIGKILL');
  await exited;
}

/** Restarts as the application would (the WAL recovers) and returns every record the WAL holds. */
async function durableRecords(dir: string): Promise<ReturnType<typeof decodeRecord>[]> {
  const audit = await createAuditLogging({
    config: {
      receivers: { audit_sdk: null },
      exporters: { audit_wal: { directory: 'wal' } },
      service: { pipelines: { logs: { receivers: ['audit_sdk'], exporters: ['audit_wal'] } } },
    },
    baseDir: dir,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const records = [...audit.wal.read({ fromSeq: 1 })]
    .filter((e) => e.type === FrameType.RECORD)
    .map((e) => decodeRecord(e.payload));
  await new LoggerProvider({ processors: audit.processors }).shutdown();
  return records;
}

describe('audit_encrypt in process, killed at any moment', () => {
  it('never leaves a durable record whose key is not in the key store', async () => {
    const master = randomBytes(32).toString('base64');
    const dir = path.join(tmp.dir, 'crash');
    for (const [i, ms] of [150, 400, 250, 700, 320].entries()) await runAndKill(dir, master, `r${i}`, ms);
    const records = await durableRecords(dir);
    expect(records.length).toBeGreaterThan(200);
    const store = KeyStore.open({
      directory: path.join(dir, 'keys'),
      masterKeys: new SecretKeyRing([secretKeyFromBytes(Buffer.from(master, 'base64'), 'm')], 'master'),
      create: false,
    });
    const decryptor = new RecordDecryptor(store);
    const problems: string[] = [];
    const unreadable = records
      .map((r) => decryptor.reveal(r, (m) => problems.push(m)).body)
      .filter((body) => typeof body !== 'string' || !body.startsWith('record '));
    expect(problems).toEqual([]);
    expect(unreadable).toEqual([]); // not one [shredded]: every key a durable record names is there
  });
});
