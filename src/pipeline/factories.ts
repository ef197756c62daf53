/**
 * Component factories: a type name, a config schema and default config
 * (the `ComponentSchema` the config layer validates against), and `create`.
 * A new component is a folder with a factory plus one line in `registry.ts`.
 */
import type { ComponentSchema } from '../../config/componentSchema.ts';
import type { Component } from './lifecycle.ts';
import type { LogsConsumer } from './consumer.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import type { ServiceHealth } from './health.ts';

/** What every `create` receives besides its config. */
export interface CreateSettings {
  /** The component id as configured (`audit_wal/primary`). */
  readonly id: string;
  /** Directory relative paths in configs resolve against. */
  readonly baseDir: string;
  readonly logger: ComponentLogger;
  /** Looks up an extension started by the service (e.g. an authenticator). */
  readonly extension?: (id: string) => Extension | undefined;
  /** The running service's health (phase, and each exporter's own state); absent outside a `Service`. */
  readonly serviceHealth?: () => ServiceHealth;
}

export interface ComponentLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProcessorFactory<TConfig = unknown> extends ComponentSchema<TConfig> {
  readonly kind: 'processor';
  create(settings: CreateSettings, config: TConfig): RecordProcessor;
}

/**
 * An exporter. It must not change the records it is given: every exporter of a pipeline gets the same
 * record objects at the same time (src/pipeline/PipelineConsumer.ts), so a change would reach the others
 * half-way — `audit_wal` may store a received record's bytes as they came (docs/record-encoding.md) and
 * would not store it, or store part of it. What must change records is a processor.
 */
export interface LogsExporter extends Component, LogsConsumer {}

export interface ExporterFactory<TConfig = unknown> extends ComponentSchema<TConfig> {
  readonly kind: 'exporter';
  create(settings: CreateSettings, config: TConfig): LogsExporter;
}

/** A receiver: a component that feeds the `next` consumer it was created with. */
export type Receiver = Component;

export interface ReceiverFactory<TConfig = unknown> extends ComponentSchema<TConfig> {
  readonly kind: 'receiver';
  create(settings: CreateSettings, config: TConfig, next: LogsConsumer): Receiver;
}

/** An extension: a component other components look up by id (e.g. an authenticator). */
export type Extension = Component;

export interface ExtensionFactory<TConfig = unknown> extends ComponentSchema<TConfig> {
  readonly kind: 'extension';
  create(settings: CreateSettings, config: TConfig): Extension;
}

export type AnyFactory = ProcessorFactory | ExporterFactory | ReceiverFactory | ExtensionFactory;
