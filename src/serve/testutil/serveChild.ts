/**
 * Test helper: `otel-audit serve` in a real child process (OTLP/HTTP on 127.0.0.1:0 -> optional
 * processors -> audit_wal), with its output collected, and an OTLP/JSON POST that says whether the
 * record was acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const CLI = path.resolve(import.meta.dirname, '../../cli/main.ts');

/** How long a child may run before it is killed and `exited` says so. */
const CHILD_RUN_MS_MAX = 20_000;

export interface ServeChild {
  readonly child: ChildProcess;
  /** The exit status, or why there is none (killed by a signal, still running after 20 s: killed). */
  readonly exited: Promise<number | string>;
  output(): string;
  /** Resolves when `text` has appeared on stdout or stderr. */
  waitFor(text: string): Promise<void>;
}

export interface ServeChildOptions {
  /** Appended to the audit_wal exporter's settings, e.g. `, commit_delay_ms: 2000`. */
  readonly walOptions?: string;
  /** CLI arguments after `serve --config FILE`. */
  readonly args?: readonly string[];
  /** Processors of the pipeline, each configured with `{}` (e.g. `['batch']`). */
  readonly processors?: readonly string[];
  /** Modules the child loads first (`node --import`): test-only patches. */
  readonly preload?: readonly string[];
  /** Added to the child's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The OTLP/HTTP receiver's endpoint (default `127.0.0.1:0`). */
  readonly endpoint?: string;
}

export function serveChild(walDir: string, o: ServeChildOptions = {}): ServeChild {
  const config = `${walDir}.yaml`;
  const processors = o.processors ?? [];
  writeFileSync(
    config,
    `
receivers:
  otlp:
    protocols:
      http: { endpoint: ${o.endpoint ?? '127.0.0.1:0'} }
${processors.length > 0 ? `processors:\n${processors.map((p) => `  ${p}: {}`).join('\n')}\n` : ''}exporters:
  audit_wal: { directory: ${walDir}${o.walOptions ?? ''} }
service:
  pipelines:
    logs: { receivers: [otlp], ${processors.length > 0 ? `processors: [${processors.join(', ')}], ` : ''}exporters: [audit_wal] }
`,
  );
  const imports = (o.preload ?? []).flatMap((m) => ['--import', m]);
  const child = spawn(process.execPath, [...imports, CLI, 'serve', '--config', config, ...(o.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  let out = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiting.filter((x) => out.includes(x.text))) w.resolve();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(`still running after ${CHILD_RUN_MS_MAX / 1000} s`);
    }, CHILD_RUN_MS_MAX);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? `killed by ${signal}`);
    });
  });
  return {
    child,
    exited,
    output: () => out,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiting.push({ text, resolve });
        void exited.then(() => reject(new Error(`exited before "${text}": ${out}`)));
      }),
  };
}

/** The OTLP/HTTP logs URL the child printed. */
export function logsUrl(s: ServeChild): string {
  return /OTLP\/HTTP +(http:\/\/\S+)/.exec(s.output())?.[1] ?? '';
}

/** POSTs one record with `body`; true when it was acknowledged (200). */
export async function post(url: string, body: string): Promise<boolean> {
  const logRecords = [{ body: { stringValue: body } }];
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords }] }] }),
    });
    return res.status === 200;
  } catch {
    return false; // the connection was cut: not acknowledged
  }
}
