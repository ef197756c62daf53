#!/usr/bin/env node
/** The `otel-audit` bin: runs `main()` (cli.ts) with the process's streams. */
import { main } from './cli.ts';
import { EXIT } from './exitCodes.ts';

// A reader that went away (`| head`) is not an error: commands that stream output stop early on
// their own (OutputSink), and other output (help, summaries) is simply dropped. Any other failure
// to write output must not pass for success; a command that already failed has reported it.
let stdoutError: NodeJS.ErrnoException | undefined;
let finished = false;
const reportStdoutError = (error: NodeJS.ErrnoException) => {
  process.stderr.write(`otel-audit: ${error.code ?? 'ERROR'}: cannot write to stdout: ${error.message}\n`);
  process.exitCode = EXIT.FAILURE;
};
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') return;
  if (finished) reportStdoutError(error);
  else stdoutError ??= error;
});
// Nothing useful can be done when stderr itself fails (e.g. `2>&1 | head`).
process.stderr.on('error', () => undefined);

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
finished = true;
if (stdoutError !== undefined && process.exitCode === EXIT.OK) reportStdoutError(stdoutError);
