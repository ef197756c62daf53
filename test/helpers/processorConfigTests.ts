/**
 * Test helper for the processors' configuration tests: the problems of one
 * component's YAML reported below that component, and the golden files of
 * the processor's `testdata/` loaded through the real configuration loader
 * (and created with test settings).
 */
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from '../../config/ResolvedConfig.ts';
import {
  loadProcessorConfigs,
  processorConfigIssues,
  testSettings,
} from '../../processors/filter/testing/loadProcessorConfigs.ts';
import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';

export interface ProcessorConfigTester {
  /**
   * The problems of `processors: { <type>: <body> }`, each as `<path below the component>: <message>`.
   * `body` is the component's YAML indented by four spaces (`'    key: value'`).
   */
  issues(body: string): string[];
  /** Loads `testdata/<name>` beside the test file. */
  loadGolden(name: string): ResolvedConfig;
  /** Every processor configured in `testdata/<name>`, created with test settings. */
  createGolden(name: string): RecordProcessor[];
}

/** `testFileUrl`: the test's `import.meta.url` (golden files are in its folder's `testdata/`). */
export function processorConfigTester<TConfig>(
  factory: ProcessorFactory<TConfig>,
  testFileUrl: string,
): ProcessorConfigTester {
  const prefix = `processors::${factory.type}::`;
  const loadGolden = (name: string): ResolvedConfig =>
    loadProcessorConfigs({ kind: 'file', path: fileURLToPath(new URL(`./testdata/${name}`, testFileUrl)) }, [
      factory,
    ]);
  return {
    issues: (body) =>
      processorConfigIssues(`processors:\n  ${factory.type}:\n${body}`, [factory]).map(
        (issue) => `${issue.path.replace(prefix, '')}: ${issue.message}`,
      ),
    loadGolden,
    createGolden: (name) =>
      [...loadGolden(name).processors.values()].map((component) =>
        factory.create(testSettings(component.id), component.config as TConfig),
      ),
  };
}
