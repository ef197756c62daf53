/**
 * What a command may touch of the outside world. `main()` receives it so
 * that tests run every command in process with captured streams; the bin
 * passes the process's own streams, environment and working directory.
 */
import type { Writable } from 'node:stream';

/** A writable stream, with the TTY properties `process.stdout` / `process.stderr` have. */
export type CliStream = Writable & { readonly isTTY?: boolean; readonly columns?: number };

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /** Variables for `${env:...}` in configurations; the bin passes `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths given on the command line start here. */
  readonly cwd: string;
}
