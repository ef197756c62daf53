/**
 * Test helper for the Collector-compatible processors: loads YAML through the
 * real configuration loader (merge with defaults, schema, YAML paths and line
 * numbers), with a fake receiver and exporter so a pipeline exists.
 */
import { ConfigError, type ConfigIssue } from '../../../config/ConfigError.ts';
import { createComponentCatalog, type ComponentSchema } from '../../../config/componentSchema.ts';
import type { ConfigSource } from '../../../config/ConfigSource.ts';
import type { ResolvedConfig } from '../../../config/ResolvedConfig.ts';
import { resolveConfig } from '../../../config/resolve.ts';
import { fakeOtlpReceiver, fakeWalExporter } from '../../../config/testing/fakeComponents.ts';
import type { ComponentLogger, CreateSettings } from '../../../src/pipeline/factories.ts';

const PIPELINE = 'service: { pipelines: { logs: { receivers: [otlp], exporters: [audit_wal] } } }\n';
const FRAME = `receivers: { otlp: { protocols: {} } }\nexporters: { audit_wal: }\n${PIPELINE}`;

export function loadProcessorConfigs(
  source: ConfigSource,
  processors: readonly ComponentSchema[],
): ResolvedConfig {
  const catalog = createComponentCatalog([fakeOtlpReceiver, fakeWalExporter, ...processors]);
  return resolveConfig([source, { kind: 'yaml', name: 'frame.yaml', text: FRAME }], { catalog, env: {} });
}

/** Loads `processors:` YAML text and returns the issues (empty when it loads). */
export function processorConfigIssues(text: string, processors: readonly ComponentSchema[]): ConfigIssue[] {
  try {
    loadProcessorConfigs({ kind: 'yaml', name: 'test.yaml', text }, processors);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}

export interface RecordingLogger extends ComponentLogger {
  readonly lines: string[];
}

export function testSettings(id: string): CreateSettings & { logger: RecordingLogger } {
  const lines: string[] = [];
  const logger: RecordingLogger = {
    lines,
    info: (message) => lines.push(`info: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
  };
  return { id, baseDir: '.', logger };
}
