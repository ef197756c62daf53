/** The validated result of loading a configuration. */
import type { ConfigIssue } from './ConfigError.ts';
import type { ComponentKind, ComponentSchema } from './componentSchema.ts';
import type { TelemetryConfig } from './telemetry.ts';

export interface ResolvedComponent {
  /** The id in its normalized form (`type` or `type/name`, spaces trimmed), as written in the config. */
  readonly id: string;
  readonly kind: ComponentKind;
  /** The catalog's canonical type, also when the id uses an alias (`otlphttp/backup` → `otlp_http`). */
  readonly type: string;
  /** The part after `/`, absent for a plain `type` id. */
  readonly name?: string;
  /** What `schema.configSchema` produced from the written configuration merged over the defaults. */
  readonly config: unknown;
  /** The catalog entry, so the runtime can find the factory that creates the component. */
  readonly schema: ComponentSchema;
}

export interface ResolvedPipeline {
  /** `logs` or `logs/<name>`. */
  readonly id: string;
  readonly name?: string;
  /** Component ids, each configured; receivers and exporters without duplicates. */
  readonly receivers: readonly string[];
  /** In the order records pass through them. */
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

export interface ResolvedService {
  /** Enabled extension ids, in the order written. */
  readonly extensions: readonly string[];
  readonly pipelines: ReadonlyMap<string, ResolvedPipeline>;
  readonly telemetry: TelemetryConfig;
}

export interface ResolvedConfig {
  readonly receivers: ReadonlyMap<string, ResolvedComponent>;
  readonly processors: ReadonlyMap<string, ResolvedComponent>;
  readonly exporters: ReadonlyMap<string, ResolvedComponent>;
  readonly extensions: ReadonlyMap<string, ResolvedComponent>;
  readonly service: ResolvedService;
  /** Problems that do not stop loading: unset environment variables, unused components. */
  readonly warnings: readonly ConfigIssue[];
}
