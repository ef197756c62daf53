/**
 * Validation of `service`: enabled extensions, logs pipelines and their
 * references to configured components, and telemetry.
 * Messages follow the Collector's (`service::pipelines::logs: references
 * processor "x" which is not configured`); the line number points at the list
 * item itself.
 */
import { formatComponentId, parseComponentId } from '../componentId.ts';
import type { ComponentKind } from '../componentSchema.ts';
import type { ResolvedPipeline, ResolvedService } from '../ResolvedConfig.ts';
import { telemetrySchema } from '../telemetry.ts';
import type { ExpandedOriginal } from './expand.ts';
import type { IssueList } from './issues.ts';
import type { ConfigPath } from './path.ts';
import { SIGNALS_NOT_SUPPORTED, pipelineSchema, serviceSchema } from './serviceSchema.ts';
import { didYouMean } from './suggest.ts';
import { validateWithSchema } from './zodValidate.ts';

export interface ServiceContext {
  /** Per kind: every id configured in its section, normalized id → key as written. */
  readonly configured: Readonly<Record<ComponentKind, ReadonlyMap<string, string>>>;
  readonly connectors: ReadonlySet<string>;
  readonly originals: ReadonlyMap<string, ExpandedOriginal>;
  readonly issues: IssueList;
}

export function validateService(value: unknown, context: ServiceContext): ResolvedService | undefined {
  const { issues } = context;
  const shape = validateWithSchema(serviceSchema, value, ['service'], context.originals);
  if (!shape.ok) {
    issues.errors.push(...shape.issues);
    return undefined;
  }
  const service = shape.value;
  const extensions = references(
    service?.extensions ?? [],
    'extension',
    ['service', 'extensions'],
    ['service', 'extensions'],
    context,
  );
  const pipelines = new Map<string, ResolvedPipeline>();
  const written = Object.entries(service?.pipelines ?? {});
  if (written.length === 0)
    issues.error(['service', 'pipelines'], 'must have at least one pipeline (logs or logs/<name>)');
  for (const [key, body] of written) {
    const pipeline = validatePipeline(key, body, context);
    if (pipeline === undefined) continue;
    if (pipelines.has(pipeline.id)) {
      issues.error(['service', 'pipelines', key], `duplicates the pipeline id "${pipeline.id}"`);
      continue;
    }
    pipelines.set(pipeline.id, pipeline);
  }
  const telemetry = validateWithSchema(
    telemetrySchema,
    service?.telemetry,
    ['service', 'telemetry'],
    context.originals,
  );
  if (!telemetry.ok) {
    issues.errors.push(...telemetry.issues);
    return undefined;
  }
  return { extensions, pipelines, telemetry: telemetry.value };
}

function validatePipeline(key: string, body: unknown, context: ServiceContext): ResolvedPipeline | undefined {
  const { issues } = context;
  const path = ['service', 'pipelines', key];
  const parsed = parseComponentId(key);
  if (!parsed.ok) {
    issues.error(path, parsed.message.replace('invalid id', 'invalid pipeline id'));
    return undefined;
  }
  const signal = parsed.id.type;
  if (SIGNALS_NOT_SUPPORTED.includes(signal)) {
    issues.error(path, `only logs pipelines are supported: otel-audit does not process ${signal}`);
    return undefined;
  }
  if (signal !== 'logs') {
    issues.error(
      path,
      `unknown signal "${signal}"${didYouMean(signal, ['logs'])}; expected logs or logs/<name>`,
    );
    return undefined;
  }
  const shape = validateWithSchema(pipelineSchema, body, path, context.originals);
  if (!shape.ok) {
    issues.errors.push(...shape.issues);
    return undefined;
  }
  const lists = shape.value;
  const receivers = references(lists?.receivers ?? [], 'receiver', path, [...path, 'receivers'], context);
  const processors = references(lists?.processors ?? [], 'processor', path, [...path, 'processors'], context);
  const exporters = references(lists?.exporters ?? [], 'exporter', path, [...path, 'exporters'], context);
  if ((lists?.receivers ?? []).length === 0)
    issues.error(path, 'must have at least one receiver', [...path, 'receivers']);
  if ((lists?.exporters ?? []).length === 0)
    issues.error(path, 'must have at least one exporter', [...path, 'exporters']);
  const id = formatComponentId(parsed.id);
  const pipeline: ResolvedPipeline = { id, receivers, processors, exporters };
  return parsed.id.name === undefined ? pipeline : { ...pipeline, name: parsed.id.name };
}

/**
 * The configured ids a list references, in order. A processor listed twice is
 * an error (its position would be ambiguous); any other repeat is dropped with
 * a warning, since it changes nothing.
 */
function references(
  list: readonly string[],
  kind: ComponentKind,
  path: ConfigPath,
  listPath: ConfigPath,
  context: ServiceContext,
): string[] {
  const { issues } = context;
  const configured = context.configured[kind];
  const out: string[] = [];
  list.forEach((text, index) => {
    const itemPath = [...listPath, index];
    const parsed = parseComponentId(text);
    if (!parsed.ok) {
      issues.error(path, parsed.message, itemPath);
      return;
    }
    const id = formatComponentId(parsed.id);
    if (!configured.has(id)) {
      const reason = context.connectors.has(id)
        ? 'which is a connector; connectors are not supported'
        : `which is not configured${didYouMean(id, configured.keys())}`;
      issues.error(path, `references ${kind} "${id}" ${reason}`, itemPath);
      return;
    }
    if (!out.includes(id)) {
      out.push(id);
    } else if (kind === 'processor') {
      issues.error(path, `references processor "${id}" multiple times`, itemPath);
    } else {
      issues.warn(path, `references ${kind} "${id}" more than once; it is used once`, itemPath);
    }
  });
  return out;
}
