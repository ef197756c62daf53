/**
 * Non-zero bytes after a valid FOOTER frame and trailer. In the newest segment that is what a crash while
 * sealing leaves (seal.ts writes footer + trailer over the old tail - a torn write or leftovers that
 * recovery re-seals - then cuts the file): no record is there, so it is a torn write, warned about
 * (recovery's tornTails; verify exits 0 and says "torn"), and a writer's open seals again and cuts them.
 * It used to be reported nowhere. In an older segment it is still reported (bad-footer: 'no valid trailer
 * at the end of the file', exit 3) until a writer's open re-seals it.
 */
import { appendFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWalReadOnly } from '../wal/readOnly.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { Wal } from '../wal/Wal.ts';
import { runCli } from './testutil/runCli.ts';
import { sealedCliWal } from './testutil/sealedCliWal.ts';

const tmp = makeTempDir('otel-audit-bytes-after-trailer-');
afterAll(() => tmp.cleanup());

let copy: () => string;
let segments: readonly string[] = [];

beforeAll(async () => {
  ({ copy, segments } = await sealedCliWal(tmp.dir, 40));
});

const garbage = Buffer.alloc(64, 0xab);

describe("non-zero bytes after a sealed segment's trailer", () => {
  it('intact WAL: verify exit 0', async () => {
    expect((await runCli(['verify', '--wal', copy()])).code).toBe(0);
  });

  it('an older segment: reported, exit 3', async () => {
    const dir = copy();
    appendFileSync(path.join(dir, segments[1] as string), garbage);
    expect((await runCli(['verify', '--wal', dir])).code).toBe(3);
  });

  it("the newest segment: a torn write warned about, exit 0; a writer's open cuts it", async () => {
    const dir = copy();
    const newest = segments[segments.length - 1] as string;
    const file = path.join(dir, newest);
    const size = statSync(file).size;
    appendFileSync(file, garbage);
    const ro = openWalReadOnly({ dir, verify: 'full' });
    expect(ro.report.corruptions).toEqual([]);
    expect(ro.report.tornTails).toEqual([
      { segment: newest, offset: size, discardedSeqFrom: undefined, discardedSeqTo: undefined },
    ]);
    const r = await runCli(['verify', '--wal', dir]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain(`${newest}: torn final write at offset ${size}`);
    await Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' }).close();
    expect(statSync(file).size).toBeLessThanOrEqual(size);
    const again = await runCli(['verify', '--wal', dir]);
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).not.toContain('torn');
  });
});
