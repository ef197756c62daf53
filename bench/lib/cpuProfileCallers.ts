/**
 * Who calls a function in a V8 `.cpuprofile`: for every sample whose stack
 * contains a function matching NAME (substring of "function file:line"), the
 * caller chain above it (up to --depth frames), summed by self time of the
 * samples below it.
 *
 *   node bench/lib/cpuProfileCallers.ts PROFILE.cpuprofile NAME [--depth 4] [--top 15]
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url ? ` ${path.basename(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${file}`;
}

export function callersOf(
  profile: CpuProfile,
  name: string,
  depth: number,
): { chain: string; ms: number; percent: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const chains = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    let id: number | undefined = profile.samples[i];
    // the outermost frame on the stack that matches
    let hit: number | undefined;
    for (; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id);
      if (n && label(n).includes(name)) hit = id;
    }
    if (hit === undefined) continue;
    const parts: string[] = [];
    for (let p = parent.get(hit), k = 0; p !== undefined && k < depth; p = parent.get(p), k++) {
      parts.push(label(byId.get(p) as ProfileNode));
    }
    const key = `${label(byId.get(hit) as ProfileNode)} <- ${parts.join(' <- ')}`;
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  return [...chains.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([chain, us]) => ({
      chain,
      ms: Math.round(us / 100) / 10,
      percent: Math.round((1000 * us) / total) / 10,
    }));
}

function main(argv: readonly string[]): void {
  const [file, name] = argv;
  if (!file || !name) {
    process.stderr.write(
      'usage: node bench/lib/cpuProfileCallers.ts PROFILE.cpuprofile NAME [--depth N] [--top N]\n',
    );
    process.exit(2);
  }
  const opt = (flag: string, d: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const rows = callersOf(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, name, opt('--depth', 4));
  for (const r of rows.slice(0, opt('--top', 15)))
    process.stdout.write(
      `${r.ms.toFixed(1).padStart(9)} ms ${r.percent.toFixed(1).padStart(5)}%  ${r.chain}\n`,
    );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main(process.argv.slice(2));
}
