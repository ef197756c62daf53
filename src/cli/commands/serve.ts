/**
 * `otel-audit serve [--config URI ...]`: runs the collector. Without any
 * `--config` it runs the embedded default pipeline (OTLP on 127.0.0.1:4317
 * and :4318, `audit_wal` in ./otel-audit-data). SIGTERM or SIGINT shut it
 * down cleanly (exit 0): receivers stop accepting and finish or refuse what
 * is in flight, everything acknowledged is durable, the WAL is sealed and
 * closed. A second signal exits at once with 130; what was acknowledged is
 * on disk either way.
 */
import type { Command } from 'commander';
import { DEFAULT_PIPELINE_YAML } from '../../../config/defaultPipeline.ts';
import { timerDurationMs } from '../../../config/duration.ts';
import { startServe } from '../../serve/runServe.ts';
import type { CliIo } from '../CliIo.ts';
import type { CommandContext } from '../CommandContext.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { configSourceOf, parseConfigUri, type ConfigUri } from '../internal/configUri.ts';

export interface ServeOptions {
  readonly config?: readonly ConfigUri[];
  readonly printDefaultConfig?: boolean;
  readonly shutdownTimeout: string;
}

export function addServeCommand(parent: Command, context: CommandContext): void {
  parent
    .command('serve')
    .description(
      'run the collector: OTLP receivers, processors, durable WAL (embedded default pipeline without --config)',
    )
    .option(
      '--config <uri>',
      'configuration file (PATH or file:PATH) or inline YAML (yaml:key::key: value); repeat to merge in order',
      (value: string, previous: ConfigUri[] | undefined) => [
        ...(previous ?? []),
        parseConfigUri(value, previous?.length ?? 0),
      ],
    )
    .option('--print-default-config', 'print the embedded default pipeline and exit')
    .option('--shutdown-timeout <duration>', 'how long a clean shutdown may take (Go duration)', '30s')
    .action(async (options: ServeOptions) => context.setExitCode(await runServeCommand(options, context.io)));
}

export async function runServeCommand(options: ServeOptions, io: CliIo): Promise<ExitCode> {
  if (options.printDefaultConfig) {
    io.stdout.write(DEFAULT_PIPELINE_YAML);
    return EXIT.OK;
  }
  const deadline = timerDurationMs().safeParse(options.shutdownTimeout);
  if (!deadline.success) {
    io.stderr.write(`otel-audit: --shutdown-timeout: ${deadline.error.issues[0]?.message ?? 'invalid'}\n`);
    return EXIT.USAGE;
  }
  const log = (level: string) => (m: string) =>
    io.stderr.write(`${new Date().toISOString()} ${level} ${m}\n`);
  // Handlers go in before anything starts (and before "ready" is printed), so a signal that arrives at any
  // moment shuts down cleanly rather than killing the process with the default action.
  let running: Awaited<ReturnType<typeof startServe>> | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      io.stderr.write(`otel-audit: second ${signal}: exiting now (acknowledged records are on disk)\n`);
      process.exit(130);
    }
    io.stderr.write(`otel-audit: ${signal}: shutting down (again to exit at once)\n`);
    void running?.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    running = await startServe({
      sources: (options.config ?? []).map((uri) => configSourceOf(uri, io.cwd)),
      env: io.env,
      cwd: io.cwd,
      out: (line) => io.stdout.write(`${line}\n`),
      logger: { info: log('info '), warn: log('warn '), error: log('error') },
      shutdownDeadlineMs: deadline.data,
      // The process is the CLI's own: one a failed start or shutdown left held must still end.
      exitWhenHeld: true,
    });
    if (signals > 0) void running.stop();
    const error = await running.done;
    if (error) {
      io.stderr.write(`otel-audit: shutdown did not complete cleanly: ${error.message}\n`);
      return EXIT.FAILURE;
    }
    io.stdout.write('otel-audit: stopped\n');
    return EXIT.OK;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
