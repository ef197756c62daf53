/**
 * `otel-audit serve`: load the configuration (or the embedded default),
 * start every component, print where it listens, and on SIGTERM/SIGINT shut
 * down cleanly: receivers stop accepting and finish (or refuse with 503 /
 * UNAVAILABLE) what is in flight, everything acknowledged is durable, the
 * WAL is sealed and closed, exit status 0. A second signal exits at once
 * (status 130); nothing acknowledged is lost by that either — it is on disk.
 * A shutdown that did not complete cleanly (components left running past
 * their share, `SHUTDOWN_TIMEOUT`, or a component whose shutdown failed)
 * ends the process a second after its outcome if something still holds it
 * (exitWhenHeld.ts) when `exitWhenHeld` is set, as `otel-audit serve` sets it.
 */
import type { ConfigSource } from '../../config/ConfigSource.ts';
import { DEFAULT_PIPELINE_YAML } from '../../config/defaultPipeline.ts';
import { resolveConfig } from '../../config/resolve.ts';
import type { ResolvedConfig } from '../../config/ResolvedConfig.ts';
import { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import { OtlpReceiver } from '../../receivers/otlp/OtlpReceiver.ts';
import type { ComponentLogger } from '../pipeline/factories.ts';
import { createFactoryRegistry } from '../pipeline/registry.ts';
import { Service } from '../pipeline/Service.ts';
import { exitWhenHeld } from './exitWhenHeld.ts';

export interface ServeOptions {
  readonly sources: readonly ConfigSource[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly out: (line: string) => void;
  readonly logger: ComponentLogger;
  readonly shutdownDeadlineMs?: number;
  /**
   * After a failed start, or a shutdown that did not complete cleanly (`SHUTDOWN_TIMEOUT`, or a component's shutdown that
   * failed: either may leave a timer or a request behind), end the process if something still holds it
   * a second after `done` resolved (exitWhenHeld.ts: an unref'd timer; the exit status is
   * `process.exitCode`, else 4). Default false: a library does not end the process that embeds it (the
   * components left running then stay so); `otel-audit serve` sets true.
   */
  readonly exitWhenHeld?: boolean;
}

export interface RunningServe {
  readonly service: Service;
  readonly config: ResolvedConfig;
  /** Resolves when the service has shut down after `stop()`: undefined, or the error that spoiled the shutdown. */
  readonly done: Promise<Error | undefined>;
  /** Shuts down (idempotent); never rejects: resolves with the shutdown's error, if any. */
  stop(): Promise<Error | undefined>;
}

export async function startServe(o: ServeOptions): Promise<RunningServe> {
  const registry = createFactoryRegistry();
  const sources: ConfigSource[] =
    o.sources.length > 0
      ? [...o.sources]
      : [{ kind: 'yaml', text: DEFAULT_PIPELINE_YAML, name: '<embedded default>' }];
  const config = resolveConfig(sources, { catalog: registry.catalog, env: o.env, baseDir: o.cwd });
  for (const w of config.warnings) o.logger.warn(`${w.path}: ${w.message}`);
  const service = Service.build({ config, registry, baseDir: o.cwd, logger: o.logger });
  try {
    await service.start();
  } catch (err) {
    // A failed start shuts down what did start (Service.doStart): a component whose shutdown failed or
    // hung there may hold the process as well (serveHungShutdown.test.ts, 'START').
    if (o.exitWhenHeld === true) exitWhenHeld({ log: (m) => o.logger.error(m) });
    throw err;
  }
  describe(service, o.sources.length === 0, o.out);
  let stopping: Promise<Error | undefined> | undefined;
  const stop = (): Promise<Error | undefined> => {
    stopping ??= service.shutdown(o.shutdownDeadlineMs ?? 30_000).then(
      () => undefined,
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    return stopping;
  };
  let resolveDone!: (e: Error | undefined) => void;
  const done = new Promise<Error | undefined>((r) => (resolveDone = r));
  let armed = false;
  const stopAndSignal = (): Promise<Error | undefined> =>
    stop().then((e) => {
      resolveDone(e);
      // Any failed shutdown, not only SHUTDOWN_TIMEOUT: a component whose shutdown rejected may leave
      // a ref'd timer too, and `serve` then never exited (serveHungShutdown.test.ts, 'FAILS').
      if (!armed && o.exitWhenHeld === true && e !== undefined) {
        armed = true;
        exitWhenHeld({ log: (m) => o.logger.error(m) });
      }
      return e;
    });
  return { service, config, done, stop: stopAndSignal };
}

function describe(service: Service, embedded: boolean, out: (line: string) => void): void {
  out(`otel-audit: serving${embedded ? ' the embedded default pipeline' : ''}`);
  let httpEndpoint: string | undefined;
  for (const [id, r] of service.receivers) {
    if (!(r instanceof OtlpReceiver)) continue;
    const ep = r.endpoints;
    if (ep.grpc) out(`  ${id}: OTLP/gRPC  ${ep.grpc}`);
    if (ep.http) {
      out(`  ${id}: OTLP/HTTP  http://${ep.http}/v1/logs`);
      httpEndpoint ??= ep.http;
    }
  }
  for (const [id, e] of service.exporters) {
    if (!(e instanceof AuditWalExporter)) continue;
    const s = e.wal.status();
    out(
      `  ${id}: WAL ${s.dir} (sync ${s.syncPolicy}${s.durable ? '' : ', NOT DURABLE'}; ${s.durableSeq} records)`,
    );
  }
  if (httpEndpoint) {
    out(
      `  try: curl -sS http://${httpEndpoint}/v1/logs -H 'Content-Type: application/json' -d '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hello, audit"}}]}]}]}'`,
    );
  }
  out('otel-audit: ready');
}
