/**
 * Closed-loop OTLP load generator for the receiver benchmark: `concurrency`
 * clients, each with its own connection (HTTP/1.1 keep-alive socket, or its
 * own gRPC channel), each sending a pre-encoded request, awaiting the answer
 * and sending the next. Runs for `warmupMs + durationMs`; requests that
 * complete inside the measured window count (records of requests answered
 * 200 / OK) and give the latency percentiles (`process.hrtime.bigint()`
 * from the request call to the complete answer).
 *
 * Runs in a child process (`forkLoadClient`), so the server under test does
 * not share its event loop with the load generator; `runLoad` can also be
 * called in-process. As a child it receives `{ type: 'run', options }` over
 * IPC, reports `{ type: 'window', phase }` when the measured window starts
 * and ends (so the parent can sample server-side counters over the same
 * window), then `{ type: 'result', result }`, and exits.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { buildOtlpRequests } from './otlpRequests.ts';
import { percentile } from './stats.ts';

export type LoadProtocol = 'http' | 'grpc';

export interface LoadOptions {
  readonly protocol: LoadProtocol;
  /** `host:port`. */
  readonly target: string;
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly recordsPerRequest: number;
}

export interface LoadResult {
  readonly okRequests: number;
  readonly okRecords: number;
  readonly failedRequests: number;
  /** First few distinct failure messages. */
  readonly failures: readonly string[];
  readonly windowMs: number;
  readonly recordsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time of the load generator during the window, as % of one core. */
  readonly clientCpuPercent: number;
  readonly requestBytes: number;
  readonly attributesPerRecord: number;
  readonly recordBodyBytes: number;
}

export type WindowPhase = 'start' | 'end';

type Send = (body: Buffer) => Promise<string | undefined>;

const LOGS_PATH = '/v1/logs';
const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';
const identity = (b: Buffer): Buffer => b;

function hostPort(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  return { host: target.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(target.slice(i + 1)) };
}

function httpSender(target: string, agent: http.Agent): Send {
  const { host, port } = hostPort(target);
  return (body) =>
    new Promise((resolve) => {
      const req = http.request(
        {
          agent,
          host,
          port,
          path: LOGS_PATH,
          method: 'POST',
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`));
          res.on('error', (err) => resolve(err.message));
        },
      );
      req.on('error', (err) => resolve(err.message));
      req.end(body);
    });
}

async function grpcClients(target: string, n: number): Promise<grpc.Client[]> {
  const clients: grpc.Client[] = [];
  for (let i = 0; i < n; i++) {
    // a local subchannel pool gives every client its own HTTP/2 connection, like separate exporters
    const client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_send_message_length': -1,
    });
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 5000, (err) => (err ? reject(err) : resolve())),
    );
    clients.push(client);
  }
  return clients;
}

function grpcSender(client: grpc.Client): Send {
  return (body) =>
    new Promise((resolve) => {
      client.makeUnaryRequest(GRPC_EXPORT_PATH, identity, identity, body, (err) =>
        resolve(err ? `gRPC ${err.code} ${err.details}` : undefined),
      );
    });
}

export async function runLoad(o: LoadOptions, onWindow?: (phase: WindowPhase) => void): Promise<LoadResult> {
  const requests = buildOtlpRequests(o.recordsPerRequest);
  const bodies = requests.bodies;
  let senders: Send[];
  let close: () => void;
  if (o.protocol === 'http') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
    const send = httpSender(o.target, agent);
    senders = Array.from({ length: o.concurrency }, () => send);
    close = () => agent.destroy();
  } else {
    const clients = await grpcClients(o.target, o.concurrency);
    senders = clients.map(grpcSender);
    close = () => {
      for (const c of clients) c.close();
    };
  }

  const t0 = process.hrtime.bigint();
  const windowStart = t0 + BigInt(Math.round(o.warmupMs * 1e6));
  const windowEnd = windowStart + BigInt(Math.round(o.durationMs * 1e6));
  const latencies: number[] = [];
  const failures = new Set<string>();
  let okRequests = 0;
  let failedRequests = 0;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let cpuEnd: NodeJS.CpuUsage | undefined;
  const startTimer = setTimeout(() => {
    cpuStart = process.cpuUsage();
    onWindow?.('start');
  }, o.warmupMs);
  const endWindow = (): void => {
    if (cpuEnd !== undefined) return;
    cpuEnd = process.cpuUsage(cpuStart);
    onWindow?.('end');
  };
  const endTimer = setTimeout(endWindow, o.warmupMs + o.durationMs);

  const worker = async (send: Send, w: number): Promise<void> => {
    for (let i = w; ; i += senders.length) {
      const start = process.hrtime.bigint();
      if (start >= windowEnd) return;
      const error = await send(bodies[i % bodies.length] as Buffer);
      const end = process.hrtime.bigint();
      const inWindow = end >= windowStart && end < windowEnd;
      if (error !== undefined) {
        if (inWindow) failedRequests++;
        if (failures.size < 5) failures.add(error);
        // do not spin on a refusing server
        await new Promise((r) => setTimeout(r, 10));
      } else if (inWindow) {
        okRequests++;
        latencies.push(Number(end - start) / 1e6);
      }
    }
  };
  try {
    await Promise.all(senders.map((s, w) => worker(s, w)));
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    close();
  }
  // The workers stop at windowEnd by the clock; the last answer can arrive before the end timer runs
  // (timers run after I/O), and the window must still be reported as ended.
  endWindow();
  const lat = Float64Array.from(latencies);
  const windowMs = o.durationMs;
  const cpu = cpuEnd ?? process.cpuUsage(cpuStart);
  return {
    okRequests,
    okRecords: okRequests * o.recordsPerRequest,
    failedRequests,
    failures: [...failures],
    windowMs,
    recordsPerSecond: (okRequests * o.recordsPerRequest * 1000) / windowMs,
    p50Ms: percentile(lat, lat.length, 50),
    p99Ms: percentile(lat, lat.length, 99),
    maxMs: lat.length > 0 ? Math.max(...lat) : Number.NaN,
    clientCpuPercent: ((cpu.user + cpu.system) / 1000 / windowMs) * 100,
    requestBytes: requests.requestBytes,
    attributesPerRecord: requests.attributesPerRecord,
    recordBodyBytes: requests.bodyBytes,
  };
}

type ToChild = { readonly type: 'run'; readonly options: LoadOptions };
type FromChild =
  | { readonly type: 'window'; readonly phase: WindowPhase }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'error'; readonly message: string };

/**
 * Runs `runLoad` in a child process (this file) and resolves with its result;
 * `onWindow` is called when the child's measured window starts and ends. The
 * child gets no `execArgv`, so `node --cpu-prof` on the parent profiles the
 * server alone.
 */
export function forkLoadClient(o: LoadOptions, onWindow?: (phase: WindowPhase) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, [], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // Settle on the child's answer itself: 'exit' can be emitted before the last IPC messages are read.
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    child.on('message', (m: FromChild) => {
      if (m.type === 'window') onWindow?.(m.phase);
      else if (m.type === 'result') settle(() => resolve(m.result));
      else settle(() => reject(new Error(`load client: ${m.message}`)));
    });
    child.on('error', (err) => settle(() => reject(err)));
    child.on('close', (code, signal) =>
      settle(() => reject(new Error(`load client exited (${signal ?? code}) before reporting`))),
    );
    child.send({ type: 'run', options: o } satisfies ToChild);
  });
}

function childMain(): void {
  const reply = (m: FromChild, then?: () => void): void => void process.send?.(m, undefined, {}, then);
  const done = (m: FromChild): void => reply(m, () => process.disconnect());
  process.once('message', (m: ToChild) => {
    runLoad(m.options, (phase) => reply({ type: 'window', phase })).then(
      (result) => done({ type: 'result', result }),
      (err: unknown) => done({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}

if (process.send !== undefined && process.argv[1] === import.meta.filename) childMain();
