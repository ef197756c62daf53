/** The configuration layer's public API. See docs/configuration.md. */
export { loadConfig, loadConfigFiles } from './load.ts';
export type { LoadConfigOptions } from './load.ts';
export { resolveConfig } from './resolve.ts';
export type { ResolveConfigOptions } from './resolve.ts';
export type { ConfigSource } from './ConfigSource.ts';
export { ConfigError, formatConfigIssue, formatSourceLocation } from './ConfigError.ts';
export type { ConfigIssue, SourceLocation } from './ConfigError.ts';
export { COMPONENT_KINDS, createComponentCatalog } from './componentSchema.ts';
export type { ComponentCatalog, ComponentKind, ComponentSchema } from './componentSchema.ts';
export { formatComponentId, parseComponentId } from './componentId.ts';
export type { ComponentId, ComponentIdResult } from './componentId.ts';
export { checkComponentSchema } from './checkComponentSchema.ts';
export type {
  ResolvedComponent,
  ResolvedConfig,
  ResolvedPipeline,
  ResolvedService,
} from './ResolvedConfig.ts';
export type {
  PrometheusEndpoint,
  TelemetryConfig,
  TelemetryLogLevel,
  TelemetryMetricsLevel,
} from './telemetry.ts';
