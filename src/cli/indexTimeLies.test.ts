/**
 * verify and index block time-bound lies in several segments: the 'once' read throws at the FIRST segment
 * that does not match its footer; verify then restarts 'full', whose recovery walk (footerProblem.ts) used
 * to check a footer's numbers, data end, time bounds and index entries but not its index blocks' time
 * bounds, so only the first segment with that lie was reported. footerProblem now checks each block's
 * time bounds too: every such segment is reported (bad-footer / bit-rot).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editFooter } from '../wal/testutil/editFooter.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { runCli } from './testutil/runCli.ts';
import { sealedCliWal } from './testutil/sealedCliWal.ts';

const tmp = makeTempDir('otel-audit-index-time-lies-');
afterAll(() => tmp.cleanup());

let copy: () => string;
let segments: readonly string[] = [];

beforeAll(async () => {
  ({ copy, segments } = await sealedCliWal(tmp.dir, 80));
});

/** Index entry 0's latest time moved one second later (CRC recomputed). */
function lieAboutBlockTime(dir: string, segment: string): void {
  editFooter(path.join(dir, segment), (f) => ({
    ...f,
    index: f.index.map((e, i) =>
      i === 0 ? { ...e, maxTimeUnixNano: e.maxTimeUnixNano + 1_000_000_000n } : e,
    ),
  }));
}

describe('two segments whose index block time bounds lie', () => {
  it('verify names both segments', async () => {
    expect(segments.length).toBeGreaterThanOrEqual(4);
    const dir = copy();
    lieAboutBlockTime(dir, segments[1] as string);
    lieAboutBlockTime(dir, segments[2] as string);
    const r = await runCli(['verify', '--wal', dir]);
    expect(r.code).toBe(3);
    const out = r.stdout + r.stderr;
    expect(out).toContain(segments[1]);
    expect(out, out).toContain(segments[2]);
  });
});
