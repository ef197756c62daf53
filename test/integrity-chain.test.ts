/**
 * The hash chain, Merkle tree and signed checkpoints through the real
 * service: records are chained in WAL order, the chain continues across a
 * restart, checkpoints are signed and published, and `verifyWal` checks it
 * all with only the public key.
 */
import { createPublicKey } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../src/integrity/sign/generateKeyPair.ts';
import { KeyRing } from '../src/integrity/sign/KeyRing.ts';
import { verifyWal } from '../src/integrity/verify/verifyWal.ts';
import type { Service } from '../src/pipeline/Service.ts';
import { createAuditRecord } from '../src/record/AuditRecord.ts';
import { makeTempDir } from '../src/wal/testutil/tmpdir.ts';
import { serviceOfYaml } from './helpers/serviceOfYaml.ts';
import { walRecords } from './helpers/startService.ts';

const tmp = makeTempDir('otel-audit-chain-');
afterAll(() => tmp.cleanup());
const keys = generateKeyPair('EdDSA');
const keyFile = path.join(tmp.dir, 'signing.pem');
writeFileSync(keyFile, keys.privateKeyPem);

function build(walDir: string, perRecord = false): Service {
  return serviceOfYaml(`
receivers: { audit_sdk: }
processors:
  attributes: { actions: [{ key: env, value: prod, action: upsert }] }
  audit_chain: { stream_id: billing-1, checkpoint_every_records: 10 }
  audit_sign:
    key_source: { type: file, file: { private_key: ${keyFile} } }
    per_record: ${perRecord}
    publish_dir: ${walDir}-published
exporters:
  audit_wal: { directory: ${walDir} }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [attributes, audit_chain, audit_sign], exporters: [audit_wal] }
`);
}

async function send(service: Service, from: number, count: number): Promise<void> {
  const pipeline = service.pipelines.get('logs');
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      pipeline?.consumeLogs({
        records: [
          createAuditRecord({
            body: { values: [{ key: 'n', value: BigInt(from + i) }] },
            eventName: 'user.login',
          }),
        ],
      }),
    ),
  );
}

function ring(): KeyRing {
  const r = new KeyRing();
  r.add(createPublicKey(keys.publicKeyPem));
  return r;
}

describe('hash chain and signed checkpoints', () => {
  it('chains in WAL order, continues across restarts, and verifies with the public key', async () => {
    const walDir = path.join(tmp.dir, 'wal');
    let service = build(walDir);
    await service.start();
    await send(service, 0, 25);
    await service.shutdown();
    service = build(walDir);
    await service.start();
    await send(service, 25, 17);
    await service.shutdown();

    const records = walRecords(walDir);
    expect(records).toHaveLength(42);
    const numbers = records.map((r) => r.attributes.find((kv) => kv.key === 'audit.sequence.number')?.value);
    expect(numbers).toEqual(Array.from({ length: 42 }, (_, i) => BigInt(i + 1)));
    expect(records[0]?.attributes.some((kv) => kv.key === 'audit.sequence.previous_hash')).toBe(false);
    expect(records[1]?.attributes.find((kv) => kv.key === 'audit.sequence.previous_hash')?.value).toBe(
      records[0]?.attributes.find((kv) => kv.key === 'audit.integrity.hash')?.value,
    );
    expect(records.every((r) => r.attributes.some((kv) => kv.key === 'env' && kv.value === 'prod'))).toBe(
      true,
    );

    const report = verifyWal({ dir: walDir, keys: ring() });
    expect(report.issues).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.streams).toEqual([
      expect.objectContaining({ streamId: 'billing-1', records: 42, lastCheckpointSize: 42 }),
    ]);
    expect(report.streams[0]?.signedCheckpoints).toBeGreaterThanOrEqual(5);
    const published = readdirSync(`${walDir}-published`).sort();
    expect(published[published.length - 1]).toBe(`billing-1-${String(42).padStart(20, '0')}.json`);

    const withoutKey = verifyWal({ dir: walDir });
    expect(withoutKey.ok).toBe(false);
    expect(withoutKey.warnings.join('\n')).toMatch(/no trusted public key/);
  });

  it('signs every record with per_record, and verify checks those signatures', async () => {
    const walDir = path.join(tmp.dir, 'wal-per-record');
    const service = build(walDir, true);
    await service.start();
    await send(service, 0, 12);
    await service.shutdown();
    const records = walRecords(walDir);
    expect(
      records.every(
        (r) => typeof r.attributes.find((kv) => kv.key === 'audit.integrity.value')?.value === 'string',
      ),
    ).toBe(true);
    expect(verifyWal({ dir: walDir, keys: ring() }).issues).toEqual([]);
  });

  it('refuses a processor that changes records after audit_chain, naming both', () => {
    const yaml = `
receivers: { audit_sdk: }
processors:
  audit_chain:
  attributes: { actions: [{ key: env, value: prod, action: upsert }] }
exporters: { audit_wal: { directory: ${tmp.dir}/never } }
service: { pipelines: { logs: { receivers: [audit_sdk], processors: [audit_chain, attributes], exporters: [audit_wal] } } }
`;
    expect(() => serviceOfYaml(yaml)).toThrow(
      /"attributes" can change records but comes after "audit_chain"/,
    );
  });
});
