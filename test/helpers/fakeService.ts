/**
 * Test helper: a service of one `otlp` receiver (HTTP on a loopback port) and one audit_wal exporter
 * writing under `walDir`, whose start and shutdown are replaced (nothing real runs, nothing is opened):
 * `shutdowns` keeps the deadline each component's shutdown was given, one entry per call.
 */
import type { LogsExporter, Receiver } from '../../src/pipeline/factories.ts';
import type { Service } from '../../src/pipeline/Service.ts';
import { serviceOfYaml } from './serviceOfYaml.ts';

export interface FakeService {
  service: Service;
  receiver: Receiver;
  exporter: LogsExporter;
  shutdowns: { receiver: number[]; exporter: number[] };
}

export function fakeService(walDir: string): FakeService {
  const service = serviceOfYaml(`
receivers:
  otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } }
exporters:
  audit_wal: { directory: ${JSON.stringify(walDir)} }
service:
  pipelines:
    logs: { receivers: [otlp], exporters: [audit_wal] }
`);
  const receiver = [...service.receivers.values()][0];
  const exporter = [...service.exporters.values()][0];
  if (receiver === undefined || exporter === undefined) throw new Error('no receiver or exporter');
  const shutdowns = { receiver: [] as number[], exporter: [] as number[] };
  receiver.start = () => Promise.resolve();
  receiver.shutdown = (ms) => (shutdowns.receiver.push(ms ?? NaN), Promise.resolve());
  exporter.start = () => Promise.resolve();
  exporter.shutdown = (ms) => (shutdowns.exporter.push(ms ?? NaN), Promise.resolve());
  return { service, receiver, exporter, shutdowns };
}
