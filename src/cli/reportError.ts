/**
 * Printing an error that ended a command, and choosing the exit code.
 * Typed errors print `otel-audit: <code>: <message>`; a configuration error
 * prints every issue on its own line (`file:line:col: path: message`, what
 * editors and CI annotators parse); system errors (ENOENT, EACCES, ...) print
 * their errno code. Anything else is a bug: one line, and the stack only
 * with `--debug`.
 */
import { ConfigError, formatConfigIssue } from '../../config/ConfigError.ts';
import { OtelAuditError } from '../errors.ts';
import type { CliIo } from './CliIo.ts';
import { EXIT, EXIT_BY_ERROR_CODE, type ExitCode } from './exitCodes.ts';

export function reportError(error: unknown, io: CliIo, options: { readonly debug: boolean }): ExitCode {
  const lines: string[] = [];
  let exitCode: ExitCode;
  if (error instanceof ConfigError) {
    const count = error.issues.length === 1 ? '1 error' : `${error.issues.length} errors`;
    lines.push(`otel-audit: ${error.code}: invalid configuration (${count}):`);
    for (const issue of error.issues) lines.push(formatConfigIssue(issue));
    exitCode = EXIT_BY_ERROR_CODE[error.code];
  } else if (error instanceof OtelAuditError) {
    lines.push(`otel-audit: ${error.code}: ${error.message}`);
    exitCode = EXIT_BY_ERROR_CODE[error.code];
  } else if (isSystemError(error)) {
    const prefix = `${error.code}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    lines.push(`otel-audit: ${error.code}: ${message}`);
    exitCode = EXIT.FAILURE;
  } else {
    lines.push(`otel-audit: internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (!options.debug) lines.push('(run again with --debug for the stack trace)');
    exitCode = EXIT.FAILURE;
  }
  if (options.debug && error instanceof Error && error.stack !== undefined) lines.push(error.stack);
  io.stderr.write(`${lines.join('\n')}\n`);
  return exitCode;
}

/** An error from a system call: `code` like `ENOENT` and a `syscall`. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}
