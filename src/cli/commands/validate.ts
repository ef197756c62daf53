/**
 * `otel-audit validate --config FILE [--config FILE ...]`: loads the
 * configuration (several sources merged in order, like the Collector's
 * `--config`), checks it against the built-in components, and prints what
 * would run. Every error is reported at once (exit 1); warnings do not fail.
 */
import type { Command } from 'commander';
import { formatConfigIssue } from '../../../config/ConfigError.ts';
import { resolveConfig } from '../../../config/resolve.ts';
import type { ResolvedConfig } from '../../../config/ResolvedConfig.ts';
import { createFactoryRegistry } from '../../pipeline/registry.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { configSourceOf, parseConfigUri, type ConfigUri } from '../internal/configUri.ts';

export interface ValidateOptions {
  readonly config: readonly ConfigUri[];
}

export function addValidateCommand(parent: Command, context: CommandContext): void {
  parent
    .command('validate')
    .description('check a configuration and print its pipelines')
    .requiredOption(
      '--config <uri>',
      'configuration file (PATH or file:PATH) or inline YAML (yaml:key::key: value); repeat to merge in order',
      (value: string, previous: ConfigUri[] | undefined) => [
        ...(previous ?? []),
        parseConfigUri(value, previous?.length ?? 0),
      ],
    )
    .action(async (options: ValidateOptions) => context.setExitCode(runValidate(options, context.io)));
}

/** Throws `ConfigError` when the configuration is invalid. */
export function runValidate(options: ValidateOptions, io: CliIo): ExitCode {
  const sources = options.config.map((uri) => configSourceOf(uri, io.cwd));
  const config = resolveConfig(sources, {
    catalog: createFactoryRegistry().catalog,
    env: io.env,
    baseDir: io.cwd,
  });
  for (const warning of config.warnings) io.stderr.write(`warning: ${formatConfigIssue(warning)}\n`);
  io.stdout.write(summary(config, sources.length));
  return EXIT.OK;
}

function summary(config: ResolvedConfig, sourceCount: number): string {
  const pipelines = [...config.service.pipelines.values()];
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const list = (ids: readonly string[]) => (ids.length === 0 ? '(none)' : ids.join(', '));
  const lines = [
    `configuration is valid (${plural(sourceCount, 'source')}, ${plural(pipelines.length, 'pipeline')})`,
  ];
  for (const p of pipelines) {
    lines.push(`pipeline ${p.id}`);
    lines.push(`  receivers:  ${list(p.receivers)}`);
    lines.push(`  processors: ${list(p.processors)}`);
    lines.push(`  exporters:  ${list(p.exporters)}`);
  }
  lines.push(`extensions: ${list(config.service.extensions)}`);
  return `${lines.join('\n')}\n`;
}
