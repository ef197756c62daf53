/**
 * Child process of the integrity benchmark: times `verifyWalParallel` (WORKERS
 * worker threads; 0 = `verifyWal` in this thread) over a WAL directory with
 * the given public key and prints one JSON line — records,
 * frames, elapsed ms, RSS sampled every 100,000 frames (and the kernel's
 * peak RSS, `maxRSS`) — so that memory figures are those of the verifier
 * alone, not of the process that built the WAL.
 *
 * CPU time of the whole process and of the main thread alone
 * (`process.threadCpuUsage`: the ordered checks that do not parallelise) is
 * reported too.
 *
 *   node bench/lib/verifyWalChild.ts WAL_DIR PUBLIC_KEY_PEM_FILE [WORKERS]
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { KeyRing } from '../../src/integrity/sign/KeyRing.ts';
import { verifyWalParallel } from '../../src/integrity/verify/verifyWalParallel.ts';
import { msSince } from './stats.ts';

const [dir, publicKeyFile, workersArg] = process.argv.slice(2);
if (dir === undefined || publicKeyFile === undefined)
  throw new Error('usage: verifyWalChild.ts WAL_DIR PUBLIC_KEY [WORKERS]');
const keys = new KeyRing();
keys.add(createPublicKey(fs.readFileSync(publicKeyFile, 'utf8')));
const rssStart = process.memoryUsage().rss;
let rssPeakSampled = rssStart;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
const mainCpuStart = process.threadCpuUsage();
const report = await verifyWalParallel({
  dir,
  keys,
  ...(workersArg === undefined ? {} : { workers: Number(workersArg) }),
  onProgress: () => void (rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss)),
});
const elapsedMs = msSince(start);
const cpu = process.cpuUsage(cpuStart);
const mainCpu = process.threadCpuUsage(mainCpuStart);
rssPeakSampled = Math.max(rssPeakSampled, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({
    ok: report.ok,
    first_issue: report.firstIssue?.message,
    records: report.records,
    frames: report.frames,
    checkpoints: report.streams[0]?.checkpoints ?? 0,
    elapsed_ms: elapsedMs,
    cpu_us: cpu.user + cpu.system,
    main_thread_cpu_us: mainCpu.user + mainCpu.system,
    rss_start_bytes: rssStart,
    rss_peak_sampled_bytes: rssPeakSampled,
    max_rss_bytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
