/**
 * CPU profile of this process over a chosen window (not the start-up or the
 * warm-up): `start()` begins V8 sampling through an in-process inspector
 * session, `stop(file)` ends it and writes a `.cpuprofile` (Chrome DevTools,
 * or `node bench/lib/cpuProfileTop.ts FILE`). Only the main thread is sampled.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

export class WindowProfiler {
  private readonly session = new Session();
  private running = false;

  constructor(intervalUs = 500) {
    this.session.connect();
    this.session.post('Profiler.enable');
    this.session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.session.post('Profiler.start');
  }

  /** Stops sampling and writes the profile to `file` (directories created). */
  stop(file: string): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.running = false;
    return new Promise((resolve, reject) => {
      this.session.post('Profiler.stop', (err, result) => {
        if (err) return reject(err);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(result.profile));
        resolve();
      });
    });
  }

  close(): void {
    this.session.disconnect();
  }
}
