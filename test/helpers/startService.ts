/**
 * Test helper: builds and starts a real Service from YAML (ports 0 on
 * 127.0.0.1), returns its OTLP endpoints and a reader for its WAL.
 */
import { resolveConfig } from '../../config/resolve.ts';
import { OtlpReceiver } from '../../receivers/otlp/OtlpReceiver.ts';
import { createFactoryRegistry } from '../../src/pipeline/registry.ts';
import { Service } from '../../src/pipeline/Service.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { decodeRecord } from '../../src/record/walCodec.ts';
import { FrameType } from '../../src/wal/format.ts';
import { openWalReadOnly } from '../../src/wal/readOnly.ts';

export interface RunningService {
  readonly service: Service;
  readonly grpcUrl: string;
  readonly httpUrl: string;
  readonly logsUrl: string;
  stop(): Promise<void>;
}

export const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export async function startService(yaml: string, env: Record<string, string> = {}): Promise<RunningService> {
  const registry = createFactoryRegistry();
  const config = resolveConfig([{ kind: 'yaml', text: yaml }], {
    catalog: registry.catalog,
    env: { ...process.env, ...env },
  });
  const service = Service.build({ config, registry, logger: quietLogger });
  await service.start();
  const receiver = [...service.receivers.values()].find((r): r is OtlpReceiver => r instanceof OtlpReceiver);
  const ep = receiver?.endpoints ?? {};
  const httpUrl = ep.http ? `http://${ep.http}` : '';
  return {
    service,
    grpcUrl: ep.grpc ? `http://${ep.grpc}` : '',
    httpUrl,
    logsUrl: `${httpUrl}/v1/logs`,
    stop: () => service.shutdown(10_000),
  };
}

/** Every record in a WAL directory (read-only: works while the writer runs). */
export function walRecords(dir: string): AuditRecord[] {
  // Every frame is checked (verify: 'full'), and any damage recovery finds fails the test loudly: a helper that
  // read past a damaged header or segment would hide exactly what the tests are there to catch. (A torn final
  // write after a kill is not damage: nothing in it was acknowledged.) Reading throws at a bad frame itself.
  const { report, reader } = openWalReadOnly({ dir, verify: 'full' });
  if (report.corruptions.length > 0) {
    const what = report.corruptions.map(
      (c) =>
        `${c.segment} ${c.kind}${c.seqFrom === undefined ? '' : ` (records ${c.seqFrom}..${c.seqTo ?? '?'})`}`,
    );
    throw new Error(`walRecords: the WAL at ${dir} is damaged: ${what.join('; ')}`);
  }
  return [...reader.records({ types: [FrameType.RECORD] })].map((r) => decodeRecord(r.payload));
}

export function basicConfig(walDir: string, extra = ''): string {
  return `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
exporters:
  audit_wal: { directory: ${walDir} }
${extra}
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`;
}
