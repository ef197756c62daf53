/**
 * Child process of the integrity benchmark: times `verifyWal` over a WAL
 * directory with the given public key and prints one JSON line — records,
 * frames, elapsed ms, RSS sampled every 100,000 frames (and the kernel's
 * peak RSS, `maxRSS`) — so that memory figures are those of the verifier
 * alone, not of the process that built the WAL.
 *
 *   node bench/lib/verifyWalChild.ts WAL_DIR PUBLIC_KEY_PEM_FILE
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { KeyRing } from '../../src/integrity/sign/KeyRing.ts';
import { verifyWal } from '../../src/integrity/verify/verifyWal.ts';
import { msSince } from './stats.ts';

const [dir, publicKeyFile] = process.argv.slice(2);
if (dir === undefined || publicKeyFile === undefined)
  throw new Error('usage: verifyWalChild.ts WAL_DIR PUBLIC_KEY');
const keys = new KeyRing();
keys.add(createPublicKey(fs.readFileSync(publicKeyFile, 'utf8')));
const rssStart = process.memoryUsage().rss;
let rssPeakSampled = rssStart;
const start = process.hrtime.bigint();
const report = verifyWal({
  dir,
  keys,
  onProgress: () => void (rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss)),
});
const elapsedMs = msSince(start);
rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({
    ok: report.ok,
    first_issue: report.firstIssue?.message,
    records: report.records,
    frames: report.frames,
    checkpoints: report.streams[0]?.checkpoints ?? 0,
    elapsed_ms: elapsedMs,
    rss_start_bytes: rssStart,
    rss_peak_sampled_bytes: rssPeakSampled,
    max_rss_bytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
