/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with
 * the most self time, the files with the most self time, and the inclusive
 * (self + callees) time of functions named on the command line.
 *
 *   node bench/lib/cpuProfileTop.ts PROFILE.cpuprofile [--top 30] [--total fnA,fnB,...]
 *
 * Time per sample comes from `timeDeltas`; a sample counts once toward every
 * distinct function on its stack for the inclusive figures (recursion is not
 * double counted).
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileRow {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

function label(f: CallFrame): string {
  const file = f.url ? path.basename(f.url) : '';
  const name = f.functionName || '(anonymous)';
  return file ? `${name} ${file}:${f.lineNumber + 1}` : name;
}

function top(map: Map<string, number>, totalUs: number, n: number): ProfileRow[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 100) / 10,
      percent: Math.round((1000 * us) / totalUs) / 10,
    }));
}

export function summarizeCpuProfile(
  profile: CpuProfile,
  o: { top: number; totals: readonly string[] },
): { totalMs: number; self: ProfileRow[]; files: ProfileRow[]; inclusive: ProfileRow[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<string, number>();
  const fileUs = new Map<string, number>();
  const inclusiveUs = new Map<string, number>();
  const wanted = new Set(o.totals);
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i] as number);
    if (!node) continue;
    totalUs += us;
    const name = label(node.callFrame);
    selfUs.set(name, (selfUs.get(name) ?? 0) + us);
    const file = node.callFrame.url ? path.basename(node.callFrame.url) : `(${node.callFrame.functionName})`;
    fileUs.set(file, (fileUs.get(file) ?? 0) + us);
    if (wanted.size > 0) {
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const fn = byId.get(id)?.callFrame.functionName ?? '';
        if (wanted.has(fn) && !seen.has(fn)) {
          seen.add(fn);
          inclusiveUs.set(fn, (inclusiveUs.get(fn) ?? 0) + us);
        }
      }
    }
  }
  return {
    totalMs: Math.round(totalUs / 1000),
    self: top(selfUs, totalUs, o.top),
    files: top(fileUs, totalUs, o.top),
    inclusive: top(inclusiveUs, totalUs, wanted.size),
  };
}

function main(argv: readonly string[]): void {
  const file = argv[0];
  if (!file) {
    process.stderr.write(
      'usage: node bench/lib/cpuProfileTop.ts PROFILE.cpuprofile [--top N] [--total a,b]\n',
    );
    process.exit(2);
  }
  const topIndex = argv.indexOf('--top');
  const totalIndex = argv.indexOf('--total');
  const summary = summarizeCpuProfile(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, {
    top: topIndex >= 0 ? Number(argv[topIndex + 1]) : 30,
    totals: totalIndex >= 0 ? (argv[totalIndex + 1] ?? '').split(',').filter(Boolean) : [],
  });
  const print = (title: string, rows: readonly ProfileRow[]): void => {
    process.stdout.write(`\n${title}\n`);
    for (const r of rows) {
      process.stdout.write(
        `${r.ms.toFixed(1).padStart(9)} ms ${r.percent.toFixed(1).padStart(5)}%  ${r.name}\n`,
      );
    }
  };
  process.stdout.write(`total sampled: ${summary.totalMs} ms\n`);
  print('self time by function', summary.self);
  print('self time by file', summary.files);
  if (summary.inclusive.length > 0) print('inclusive time', summary.inclusive);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main(process.argv.slice(2));
}
