/**
 * Per-record signatures (`audit_sign` with `per_record`) are checked by verifyWalParallel's workers
 * (verify/internal/recordSignature.ts) and reported by the main thread exactly as verifyWal reports them
 * checking them itself: on an intact WAL, and with a signature forged, not base64, or by a key not trusted.
 */
import { createPublicKey } from 'node:crypto';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import { verifyWalParallel } from '../src/integrity/verify/verifyWalParallel.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { serviceOfYaml } from './helpers/serviceOfYaml.ts';
import { walRecords } from './helpers/startService.ts';
import { framePayload, resealFrame } from './helpers/walTamper.ts';

const tmp = makeTempDir('otel-audit-record-signatures-');
afterAll(() => tmp.cleanup());
const keys = generateKeyPair('EdDSA');
const keyFile = path.join(tmp.dir, 'signing.pem');
const original = path.join(tmp.dir, 'original');
const ring = new KeyRing();
ring.add(createPublicKey(keys.publicKeyPem));

beforeAll(async () => {
  writeFileSync(keyFile, keys.privateKeyPem);
  const service = serviceOfYaml(`
receivers: { audit_sdk: }
processors:
  audit_chain: { stream_id: billing-1, checkpoint_every_records: 10 }
  audit_sign:
    key_source: { type: file, file: { private_key: ${keyFile} } }
    per_record: true
exporters:
  audit_wal: { directory: ${original} }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [audit_chain, audit_sign], exporters: [audit_wal] }
`);
  await service.start();
  const pipeline = service.pipelines.get('logs');
  for (let i = 0; i < 30; i++) {
    await pipeline?.consumeLogs({
      records: [createAuditRecord({ body: `event ${i}`, eventName: 'user.login' })],
    });
  }
  await service.shutdown();
});

/** The WAL seq of the record with chain number `n`, and one of its string attributes. */
function recordAt(dir: string, n: number, key: string): { seq: number; value: string } {
  const records = walRecords(dir);
  const r = records.find((x) =>
    x.attributes.some((kv) => kv.key === 'audit.sequence.number' && kv.value === BigInt(n)),
  );
  const value = r?.attributes.find((kv) => kv.key === key)?.value;
  if (r === undefined || typeof value !== 'string') throw new Error(`no record ${n} with ${key}`);
  // Record frames and checkpoint frames share the WAL's numbers: find the frame that holds the value.
  for (let seq = 1; seq <= records.length * 2; seq++) {
    try {
      if (
        framePayload(dir, seq).includes(Buffer.from(value)) &&
        framePayload(dir, seq).includes(`event ${n - 1}`)
      ) {
        return { seq, value };
      }
    } catch {
      break;
    }
  }
  throw new Error(`record ${n} not found in the frames`);
}

/** A copy of the WAL with the `key` attribute of record `n` changed by `edit` (same length). */
function edited(name: string, n: number, key: string, edit: (value: string) => string): string {
  const dir = path.join(tmp.dir, name);
  cpSync(original, dir, { recursive: true });
  const { seq, value } = recordAt(dir, n, key);
  const replacement = edit(value);
  expect(replacement).toHaveLength(value.length);
  resealFrame(dir, seq, (payload) => {
    const at = payload.indexOf(Buffer.from(value));
    const out = Buffer.from(payload);
    out.write(replacement, at, 'latin1');
    return out;
  });
  return dir;
}

async function expectSame(dir: string): Promise<ReturnType<typeof verifyWal>> {
  const expected = verifyWal({ dir, keys: ring });
  for (const [workers, batchRecords] of [
    [1, 1],
    [2, 4],
  ] as const) {
    expect(await verifyWalParallel({ dir, keys: ring, workers, batchRecords })).toEqual(expected);
  }
  return expected;
}

/** Another base64 letter at position `i` (the signature still decodes, to other bytes). */
const otherLetter = (v: string, i: number): string =>
  v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);

describe('per-record signatures checked in the verify workers', () => {
  it('an intact per-record-signed WAL verifies, every record signed', async () => {
    expect(
      walRecords(original).every((r) => r.attributes.some((kv) => kv.key === 'audit.integrity.value')),
    ).toBe(true);
    const report = await expectSame(original);
    expect(report.issues).toEqual([]);
    expect(report.records).toBe(30);
  });

  it('verifyWalParallel verifies no signature in the main thread: its workers do', async () => {
    const verify = vi.spyOn(KeyRing.prototype, 'verify'); // this thread's rings only: workers have their own
    try {
      expect((await verifyWalParallel({ dir: original, keys: ring, workers: 2 })).issues).toEqual([]);
      expect(verify).not.toHaveBeenCalled(); // before: once per record, 30 times
      verifyWal({ dir: original, keys: ring });
      expect(verify.mock.calls.length).toBeGreaterThanOrEqual(30); // (control) verifyWal checks them here
    } finally {
      verify.mockRestore();
    }
  });

  it('a forged signature is reported as verifyWal reports it', async () => {
    const report = await expectSame(edited('forged', 7, 'audit.integrity.value', (v) => otherLetter(v, 3)));
    expect(report.issues).toEqual([
      expect.objectContaining({
        kind: 'forged-signature',
        message: expect.stringMatching(/^record 7 .*does not verify/),
      }),
    ]);
  });

  it('a signature that is not base64 is reported as verifyWal reports it', async () => {
    const report = await expectSame(
      edited('not-base64', 12, 'audit.integrity.value', (v) => `*${v.slice(1)}`),
    );
    expect(report.issues).toEqual([
      expect.objectContaining({
        kind: 'forged-signature',
        message: expect.stringMatching(/^record 12 .*not base64/),
      }),
    ]);
  });

  it('a signature by a key not trusted is reported as verifyWal reports it', async () => {
    const report = await expectSame(
      edited('unknown-key', 20, 'audit.integrity.key_id', (v) => otherLetter(v, 0)),
    );
    expect(report.issues).toEqual([
      expect.objectContaining({
        kind: 'unknown-key',
        message: expect.stringMatching(/^record 20 .*not trusted/),
      }),
    ]);
  });
});
