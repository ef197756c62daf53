/** Test helper: a Service built (not started) from one YAML config text with the default factories, logging nowhere (or to `logger`). */
import { resolveConfig } from '../../config/resolve.ts';
import type { ComponentLogger } from '../../src/pipeline/factories.ts';
import { createFactoryRegistry } from '../../src/pipeline/registry.ts';
import { Service } from '../../src/pipeline/Service.ts';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function serviceOfYaml(text: string, logger: ComponentLogger = quiet): Service {
  const registry = createFactoryRegistry();
  const config = resolveConfig([{ kind: 'yaml', text }], { catalog: registry.catalog });
  return Service.build({ config, registry, logger });
}
