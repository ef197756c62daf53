import type { Command } from 'commander';
import type { CliIo } from './CliIo.ts';
import type { ExitCode } from './exitCodes.ts';

/** What a command's action gets: the streams, and where to put its exit code. */
export interface CommandContext {
  readonly io: CliIo;
  setExitCode(code: ExitCode): void;
}

/** One command of the CLI: adds itself (with `parent.command(...)`, so it inherits the parent's settings). */
export type AddCommand = (parent: Command, context: CommandContext) => void;
