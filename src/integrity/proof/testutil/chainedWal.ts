/**
 * Test helper: a chained, signed WAL written through the real Service
 * (`audit_chain` + `audit_sign` + `audit_wal`), restarted between runs so
 * the chain continues across restarts, with records of every AnyValue kind.
 */
import { resolveConfig } from '../../../../config/resolve.ts';
import { createFactoryRegistry } from '../../../pipeline/registry.ts';
import { Service } from '../../../pipeline/Service.ts';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../../../record/AuditRecord.ts';

export interface ChainedWalOptions {
  readonly walDir: string;
  /** PEM private key file (Ed25519 unless `algorithm` says otherwise). */
  readonly privateKeyFile: string;
  readonly algorithm?: string;
  readonly streamId: string;
  readonly checkpointEveryRecords: number;
  /** Records sent per service run; the service shuts down (final checkpoint) and restarts between runs. */
  readonly runs: readonly number[];
  /** Record `n` (0-based, counted over all runs); default `sampleRecord`. */
  readonly recordOf?: (n: number) => AuditRecord;
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function writeChainedWal(o: ChainedWalOptions): Promise<void> {
  const registry = createFactoryRegistry();
  let sent = 0;
  const recordOf = o.recordOf ?? sampleRecord;
  for (const count of o.runs) {
    const config = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `
receivers: { audit_sdk: }
processors:
  audit_chain: { stream_id: ${JSON.stringify(o.streamId)}, checkpoint_every_records: ${o.checkpointEveryRecords} }
  audit_sign:
    algorithm: ${o.algorithm ?? 'EdDSA'}
    key_source: { type: file, file: { private_key: ${JSON.stringify(o.privateKeyFile)} } }
exporters:
  audit_wal: { directory: ${JSON.stringify(o.walDir)} }
service:
  pipelines:
    logs: { receivers: [audit_sdk], processors: [audit_chain, audit_sign], exporters: [audit_wal] }
`,
        },
      ],
      { catalog: registry.catalog },
    );
    const service = Service.build({ config, registry, logger: quiet });
    await service.start();
    const pipeline = service.pipelines.get('logs');
    // Batches of 3 from concurrent callers: WAL order, not call order, decides the chain numbers.
    const batches: Promise<void>[] = [];
    for (let i = 0; i < count; i += 3) {
      const records = Array.from({ length: Math.min(3, count - i) }, (_, j) => recordOf(sent + i + j));
      batches.push(pipeline?.consumeLogs({ records }) ?? Promise.resolve());
    }
    await Promise.all(batches);
    sent += count;
    await service.shutdown();
  }
}

/** Record `n`: a body with every AnyValue kind (-0, bytes, nested arrays, the empty value), trace ids on some. */
export function sampleRecord(n: number): AuditRecord {
  return createAuditRecord({
    resource: createAuditResource({
      attributes: [{ key: 'service.name', value: 'billing' }],
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    }),
    scope: createAuditScope({ name: 'audit', version: '1.2.3' }),
    timeUnixNano: 1_795_687_200_000_000_000n + BigInt(n) * 1_000_000n,
    severityNumber: 9,
    severityText: 'INFO',
    eventName: n % 2 === 0 ? 'user.login' : 'document.read',
    body: {
      values: [
        { key: 'n', value: BigInt(n) },
        { key: 'ratio', value: n % 5 === 0 ? -0 : n + 0.25 },
        { key: 'who', value: `user-${n} ✓` },
        { key: 'raw', value: Uint8Array.of(n & 255, 0, 255) },
        { key: 'list', value: [true, null, [1n, 'x']] },
      ],
    },
    attributes: [
      { key: 'user.id', value: `u${1000 + n}` },
      { key: 'dup', value: 1n },
      { key: 'dup', value: 2n },
    ],
    ...(n % 3 === 0
      ? { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', flags: 1 }
      : {}),
  });
}
