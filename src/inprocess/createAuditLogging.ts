/**
 * The in-process way in: turn a Collector-format configuration into
 * OpenTelemetry `LogRecordProcessor`s for `new LoggerProvider({ processors })`.
 *
 * ```ts
 * const audit = await createAuditLogging({ configFiles: ['audit.yaml'] });
 * const provider = new LoggerProvider({ processors: audit.processors });
 * ```
 *
 * The pipeline used is the one whose receivers include `audit_sdk` (or the
 * one named by `pipeline`). Its processors become one SDK processor each, in
 * order; the last SDK processor hands records to the pipeline's exporters.
 */
import type { ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AuditWalExporter } from '../../exporters/audit_wal/AuditWalExporter.ts';
import type { AuditWalConfig } from '../../exporters/audit_wal/config.ts';
import { AUDIT_WAL_TYPE } from '../../exporters/audit_wal/config.ts';
import { AUDIT_SDK_TYPE } from '../../receivers/audit_sdk/factory.ts';
import type { ConfigSource } from '../../config/ConfigSource.ts';
import { resolveConfig } from '../../config/resolve.ts';
import type { ResolvedConfig } from '../../config/ResolvedConfig.ts';
import { OtelAuditError } from '../errors.ts';
import type { ComponentLogger, LogsExporter } from '../pipeline/factories.ts';
import { createFactoryRegistry, type FactoryRegistry } from '../pipeline/registry.ts';
import type { RecordProcessor } from '../pipeline/RecordProcessor.ts';
import { runRecordProcessors } from '../pipeline/runRecordProcessors.ts';
import { consoleLogger, Service } from '../pipeline/Service.ts';
import type { AuditRecord } from '../record/AuditRecord.ts';
import { SdkRecordProcessor } from './SdkRecordProcessor.ts';
import { BATCH_RECORDS_MAX, PENDING_RECORDS_MAX, SdkWalWriter, type FailureHandler } from './SdkWalWriter.ts';
import type { Wal } from '../wal/Wal.ts';
import { FRAME_OVERHEAD_BYTES } from '../wal/format.ts';

export interface AuditLoggingOptions {
  /** YAML files, merged in order (like several `--config`). */
  readonly configFiles?: readonly string[];
  /** YAML text, or a plain object of the same shape; merged after the files. */
  readonly config?: string | Record<string, unknown>;
  /** The pipeline to use; default the one whose receivers include `audit_sdk`. */
  readonly pipeline?: string;
  /** Required with `on_failure: callback`. */
  readonly onFailure?: FailureHandler;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly baseDir?: string;
  readonly logger?: ComponentLogger;
  readonly registry?: FactoryRegistry;
}

export interface AuditLogging {
  /** Register these, in this order, on the `LoggerProvider`. */
  readonly processors: LogRecordProcessor[];
  /** Processes and writes one record; resolves when it is durable (or was dropped by a filter). */
  write(record: AuditRecord): Promise<void>;
  /** Resolves when every record emitted before is durable; rejects if one could not be made durable. */
  forceFlush(): Promise<void>;
  /** Flushes and closes (also called by `LoggerProvider.shutdown()`). */
  shutdown(): Promise<void>;
  /**
   * The WAL of the pipeline's first `audit_wal` exporter, as it is now: after a `WAL_FAILED` the exporter
   * reopens it (a new instance), so read this property each time rather than keeping the object.
   */
  readonly wal: Wal;
  readonly config: ResolvedConfig;
}

export async function createAuditLogging(o: AuditLoggingOptions): Promise<AuditLogging> {
  const registry = o.registry ?? createFactoryRegistry();
  const sources: ConfigSource[] = (o.configFiles ?? []).map((path) => ({ kind: 'file', path }));
  if (typeof o.config === 'string') sources.push({ kind: 'yaml', text: o.config, name: '<config>' });
  else if (o.config) sources.push({ kind: 'object', value: o.config, name: '<config>' });
  const config = resolveConfig(sources, {
    catalog: registry.catalog,
    ...(o.env ? { env: o.env } : {}),
    ...(o.baseDir ? { baseDir: o.baseDir } : {}),
  });
  const pipelineId = o.pipeline ?? findSdkPipeline(config);
  const pipeline = config.service.pipelines.get(pipelineId);
  if (!pipeline)
    throw new OtelAuditError('PIPELINE_BUILD', `service::pipelines: no pipeline "${pipelineId}"`);
  const service = Service.build({
    config,
    registry,
    skipReceivers: true,
    onlyPipelines: [pipelineId],
    ...(o.baseDir ? { baseDir: o.baseDir } : {}),
    logger: o.logger ?? consoleLogger,
  });
  const exporters = pipeline.exporters.map((id) => service.exporters.get(id) as LogsExporter);
  const walExporters = exporters.filter((e): e is AuditWalExporter => e instanceof AuditWalExporter);
  const walConfigs = pipeline.exporters
    .map((id) => config.exporters.get(id))
    .filter((c) => c?.type === AUDIT_WAL_TYPE)
    .map((c) => c?.config as AuditWalConfig);
  const first = walConfigs[0];
  if (!first || walExporters.length === 0) {
    throw new OtelAuditError(
      'PIPELINE_BUILD',
      `service::pipelines::${pipelineId}: in process, a pipeline needs an audit_wal exporter`,
    );
  }
  const strict = first.durability === 'strict';
  if (strict && walExporters.length !== exporters.length) {
    throw new OtelAuditError(
      'PIPELINE_BUILD',
      `service::pipelines::${pipelineId}: durability strict needs every exporter of the pipeline to be audit_wal`,
    );
  }
  if (first.on_failure === 'callback' && !o.onFailure) {
    throw new OtelAuditError(
      'PIPELINE_BUILD',
      `exporters::${pipeline.exporters[0]}::on_failure is callback but no onFailure handler was given`,
    );
  }
  await service.start();
  const processors = pipeline.processors.map((id) => service.processors.get(id) as RecordProcessor);
  const dropped = new WeakSet<ReadWriteLogRecord>();
  // A producer that never yields blocks on a synchronous commit rather than growing the queue (block policy).
  const blocks =
    !strict &&
    walExporters.length === exporters.length &&
    walConfigs.every((c) => c.when_queue_full === 'block');
  const queueRecordsMax = Math.min(...walConfigs.map((c) => c.queue_records_max));
  const queueBytesMax = Math.min(...walConfigs.map((c) => c.queue_bytes_max));
  const payloadBytesMax = Math.max(...walConfigs.map((c) => c.payload_bytes_max));
  const writer = new SdkWalWriter({
    exporters,
    processors, // their flushBeforeExport (e.g. audit_encrypt's new keys) before a batch reaches the WAL
    strictWal: strict ? walExporters : undefined,
    dropped,
    onFailure: first.on_failure,
    failureHandler: o.onFailure,
    shutdown: () => service.shutdown(),
    recordElementsMax: payloadBytesMax,
    ...(blocks
      ? {
          blocking: {
            wals: walExporters,
            // Below the WAL's own bound, so the WAL takes a whole batch without making it wait.
            pendingRecordsMax: Math.max(
              1,
              Math.min(PENDING_RECORDS_MAX, queueRecordsMax - BATCH_RECORDS_MAX),
            ),
            // Half the byte bound: a batch handed down past it still fits in the other half (records up to
            // ~queue_bytes_max / 2,048 each); larger batches wait in the WAL as before.
            pendingBytesMax: Math.floor(queueBytesMax / 2),
            recordBytesMax: payloadBytesMax + FRAME_OVERHEAD_BYTES,
          },
        }
      : {}),
  });
  return {
    processors: [
      ...pipeline.processors.map(
        (id, i) => new SdkRecordProcessor(id, processors[i] as RecordProcessor, dropped),
      ),
      writer,
    ],
    write: (record) => {
      // A processor's PermanentError, or a strict write's failure, rejects the promise: never a synchronous throw.
      try {
        const kept = runRecordProcessors([record], processors, pipeline.processors);
        return kept[0] ? writer.write(kept[0]) : Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    forceFlush: () => writer.forceFlush(),
    shutdown: () => writer.shutdown(),
    // A getter: after a WAL_FAILED the exporter reopens its WAL, and a captured instance would stay the closed one.
    get wal(): Wal {
      return (walExporters[0] as AuditWalExporter).wal;
    },
    config,
  };
}

function findSdkPipeline(config: ResolvedConfig): string {
  const ids = [...config.service.pipelines.values()]
    .filter((p) => p.receivers.some((r) => config.receivers.get(r)?.type === AUDIT_SDK_TYPE))
    .map((p) => p.id);
  if (ids.length === 1) return ids[0] as string;
  throw new OtelAuditError(
    'PIPELINE_BUILD',
    ids.length === 0
      ? `service::pipelines: no pipeline has the ${AUDIT_SDK_TYPE} receiver; add it, or pass { pipeline }`
      : `service::pipelines: several pipelines have the ${AUDIT_SDK_TYPE} receiver (${ids.join(', ')}); pass { pipeline }`,
  );
}
