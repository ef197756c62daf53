/**
 * The `otel-audit` command line: `main(argv, io)` parses `argv` (the
 * arguments after the program name), runs the command and resolves to the
 * exit code (see exitCodes.ts). It never calls `process.exit` and writes only
 * to `io`, so tests run it in process; `main.ts` is the bin around it.
 */
import { Command, CommanderError } from 'commander';
import type { CliIo } from './CliIo.ts';
import type { AddCommand } from './CommandContext.ts';
import { addKeysCommand } from './commands/keys.ts';
import { addKeysShredCommand } from './commands/keysShred.ts';
import { addReplayCommand } from './commands/replay.ts';
import { addProveCommand } from './commands/prove.ts';
import { addReidentifyCommand } from './commands/reidentify.ts';
import { addServeCommand } from './commands/serve.ts';
import { addTortureCommand } from './commands/torture.ts';
import { addValidateCommand } from './commands/validate.ts';
import { addVerifyCommand } from './commands/verify.ts';
import { addVerifyProofCommand } from './commands/verifyProof.ts';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from './exitCodes.ts';
import { reportError } from './reportError.ts';
import { packageVersion } from './version.ts';

/** Every command, in help order. A new command: one file in commands/, and one line here. */
const COMMANDS: readonly AddCommand[] = [
  addServeCommand,
  addValidateCommand,
  addReplayCommand,
  addVerifyCommand,
  addKeysCommand,
  addKeysShredCommand,
  addProveCommand,
  addVerifyProofCommand,
  addReidentifyCommand,
  addTortureCommand,
];

export async function main(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.OK;
  const program = createProgram(io);
  const context = { io, setExitCode: (code: ExitCode) => (exitCode = code) };
  for (const add of COMMANDS) add(program, context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // --help and --version end parsing with exit code 0; everything else commander rejects is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    return reportError(error, io, { debug: program.opts<{ debug?: boolean }>().debug === true });
  }
}

function createProgram(io: CliIo): Command {
  return new Command('otel-audit')
    .description(
      'The audit-log pipeline for OpenTelemetry: durable WAL, tamper evidence, privacy processors.',
    )
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help')
    .option('--debug', 'print stack traces of unexpected errors')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => io.stdout.columns ?? 80,
      getErrHelpWidth: () => io.stderr.columns ?? 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('afterAll', EXIT_CODES_HELP);
}
