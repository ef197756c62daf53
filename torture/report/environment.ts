/**
 * Where a torture run ran, for its report: Node version, platform, CPUs,
 * memory, date, and the git commit (best effort: `git rev-parse HEAD`, and
 * whether the working tree had changes; absent outside a git checkout).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface TortureEnvironment {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly date: string;
  readonly gitCommit: string | undefined;
  /** Uncommitted changes in the working tree (undefined when unknown). */
  readonly gitDirty: boolean | undefined;
}

function git(args: readonly string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

export function captureEnvironment(cwd: string, date: Date = new Date()): TortureEnvironment {
  const cpus = os.cpus();
  const commit = git(['rev-parse', 'HEAD'], cwd);
  const status =
    commit === undefined ? undefined : git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    date: date.toISOString(),
    gitCommit: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : undefined,
    gitDirty: status === undefined ? undefined : status !== '',
  };
}
