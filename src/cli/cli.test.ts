import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/ConfigError.ts';
import { OtelAuditError, WalLockedError, type ErrorCode } from '../errors.ts';
import { EXIT, EXIT_BY_ERROR_CODE } from './exitCodes.ts';
import { Progress } from './internal/Progress.ts';
import { reportError } from './reportError.ts';
import { CaptureStream, runCli } from './testutil/runCli.ts';

const PACKAGE = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('otel-audit program', () => {
  it('--version prints the package version', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
    expect((await runCli(['-V'])).stdout).toBe(`${PACKAGE.version}\n`);
  });

  it('--help lists the commands and the exit codes, on stdout, exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: otel-audit \[options\] \[command\]/);
    expect(r.stdout).toMatch(/^ {2}serve \[options\] +run the collector/m);
    expect(r.stdout).toMatch(/^ {2}validate \[options\] +check a configuration/m);
    expect(r.stdout).toMatch(/^ {2}replay \[options\] +print stored records/m);
    for (const code of [
      '0  success',
      '1  invalid input',
      '2  usage error',
      '3  data damage',
      '4  I/O error',
    ]) {
      expect(r.stdout).toContain(code);
    }
    // Commands that are not implemented do not exist.
    expect(r.stdout).toMatch(/^ {2}verify \[options\]/m);
  });

  it('each command has --help with the exit codes too', async () => {
    for (const command of ['validate', 'replay']) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: otel-audit ${command} [options]`);
      expect(r.stdout).toContain('Exit codes:');
    }
    expect((await runCli(['help', 'replay'])).stdout).toContain('--from-seq <n>');
  });

  it('usage errors exit 2 with the message on stderr', async () => {
    const unknown = await runCli(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain("error: unknown command 'nope'");
    const option = await runCli(['--nope']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("error: unknown option '--nope'");
    // No command: help on stderr, as a usage error.
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: otel-audit');
  });

  it('accepts --debug before or after the command', async () => {
    const before = await runCli(['--debug', 'replay', '--wal', '/nonexistent/otel-audit']);
    const after = await runCli(['replay', '--wal', '/nonexistent/otel-audit', '--debug']);
    for (const r of [before, after]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^otel-audit: INVALID_ARGUMENT: --wal \/nonexistent\/otel-audit: no such directory\n/,
      );
      expect(r.stderr).toContain('    at ');
    }
  });
});

describe('reportError', () => {
  const report = (error: unknown, debug = false) => {
    const stderr = new CaptureStream();
    const code = reportError(error, { stdout: new CaptureStream(), stderr, env: {}, cwd: '/' }, { debug });
    return { code, stderr: stderr.text };
  };

  it('maps every error code to one of the documented exit codes', () => {
    const documented: number[] = Object.values(EXIT);
    for (const code of Object.keys(EXIT_BY_ERROR_CODE) as ErrorCode[]) {
      expect(documented).toContain(EXIT_BY_ERROR_CODE[code]);
    }
    expect(EXIT_BY_ERROR_CODE.CONFIG_INVALID).toBe(1);
    expect(EXIT_BY_ERROR_CODE.WAL_CORRUPT).toBe(3);
    expect(EXIT_BY_ERROR_CODE.WAL_LOCKED).toBe(4);
    expect(EXIT_BY_ERROR_CODE.WAL_IO).toBe(4);
  });

  it('prints typed errors as otel-audit: <code>: <message>, without a stack', () => {
    expect(report(new WalLockedError('/var/wal is locked by pid 42'))).toEqual({
      code: 4,
      stderr: 'otel-audit: WAL_LOCKED: /var/wal is locked by pid 42\n',
    });
    expect(report(new OtelAuditError('INVALID_ARGUMENT', 'bad'))).toEqual({
      code: 1,
      stderr: 'otel-audit: INVALID_ARGUMENT: bad\n',
    });
  });

  it('prints each configuration issue on its own line', () => {
    const error = new ConfigError([
      { path: 'exporters::audit_wal', message: 'bad', source: { file: 'a.yaml', line: 3, column: 5 } },
      { path: '', message: 'no configuration source was given' },
    ]);
    expect(report(error)).toEqual({
      code: 1,
      stderr: [
        'otel-audit: CONFIG_INVALID: invalid configuration (2 errors):',
        'a.yaml:3:5: exporters::audit_wal: bad',
        'no configuration source was given',
        '',
      ].join('\n'),
    });
  });

  it('prints system errors with their errno code, exit 4', () => {
    const error = Object.assign(new Error("EACCES: permission denied, open '/x'"), {
      code: 'EACCES',
      syscall: 'open',
    });
    expect(report(error)).toEqual({ code: 4, stderr: "otel-audit: EACCES: permission denied, open '/x'\n" });
  });

  it('prints an unexpected error in one line, and its stack only with --debug', () => {
    const error = new TypeError('x is not a function');
    const quiet = report(error);
    expect(quiet).toEqual({
      code: 4,
      stderr:
        'otel-audit: internal error: x is not a function\n(run again with --debug for the stack trace)\n',
    });
    const debug = report(error, true);
    expect(debug.stderr).toContain(
      'otel-audit: internal error: x is not a function\nTypeError: x is not a function\n    at ',
    );
    expect(report('a string').stderr).toBe(
      'otel-audit: internal error: a string\n(run again with --debug for the stack trace)\n',
    );
  });
});

describe('Progress', () => {
  it('writes the count at most once per interval, and a final line', () => {
    let now = 0;
    const stream = new CaptureStream();
    const progress = new Progress({ stream, label: 'replay', unit: 'records', now: () => now });
    progress.tick(1);
    now = 1999;
    progress.tick(2);
    now = 2000;
    progress.tick(3);
    progress.tick(4);
    now = 4500;
    progress.tick(5);
    progress.done(6);
    expect(stream.text).toBe(
      'otel-audit: replay: 3 records\notel-audit: replay: 5 records\notel-audit: replay: 6 records, done\n',
    );
  });
});
