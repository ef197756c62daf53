/**
 * gRPC durations that become Node timers (ours: read_timeout,
 * preface_timeout; grpc-js's: keepalive::server_parameters::*) must fit a
 * timer: Node runs a setTimeout of more than 2^31-1 ms after 1 ms instead
 * (TimeoutOverflowWarning), so `read_timeout: 600h` would answer any call
 * whose request takes over 1 ms to arrive DEADLINE_EXCEEDED, and
 * `preface_timeout: 600h` close a connection whose preface is not read
 * within 1 ms.
 */
import { describe, expect, it } from 'vitest';
import { connectionShareBytesOf, grpcSchema, inflightBudgetBytesOf, otlpConfigSchema } from './config.ts';

const TIMER_MS_MAX = 2 ** 31 - 1;
/** What an open gRPC stream reserves (grpc/streamCost.ts). */
const STREAM = 16 * 1024;
/** A stream with the largest header list the server accepts (64 KiB, grpc/streamCost.ts): the largest call's. */
const STREAM_MAX = STREAM + 64 * 1024 - 4 * 1024;
/** An unset budget or share that comes to the largest call: a sixteenth more. */
const withMargin = (largest: number): number => largest + Math.ceil(largest / 16);
/** grpc-js adds up to +10% jitter to max_connection_age. */
const AGE_MS_MAX = 1_952_257_860;

describe('otlp grpc config: durations that are timers', () => {
  type Case = [key: string, config: (d: string | number) => Record<string, unknown>, maxMs: number];
  const keepalive = (k: string, maxMs = TIMER_MS_MAX): Case => [
    `keepalive::server_parameters::${k}`,
    (d) => ({ keepalive: { server_parameters: { [k]: d } } }),
    maxMs,
  ];
  const cases: Case[] = [
    ['read_timeout', (d) => ({ read_timeout: d }), TIMER_MS_MAX],
    ['preface_timeout', (d) => ({ preface_timeout: d }), TIMER_MS_MAX],
    keepalive('time'),
    keepalive('timeout'),
    keepalive('max_connection_idle'),
    keepalive('max_connection_age', AGE_MS_MAX),
    keepalive('max_connection_age_grace'),
  ];
  for (const [key, config, maxMs] of cases) {
    it(`${key}: refused beyond Node's timer limit, accepted up to it`, () => {
      const over = grpcSchema.safeParse(config('600h'));
      expect(over.success).toBe(false);
      expect(over.error?.issues[0]?.message).toMatch(
        /^must be at most \d+h\d+m[\d.]+s \(the longest Node timer\)$/,
      );
      // a bare number is nanoseconds
      expect(grpcSchema.safeParse(config((maxMs + 1) * 1e6)).success).toBe(false);
      expect(grpcSchema.safeParse(config(maxMs * 1e6)).success).toBe(true);
      expect(grpcSchema.safeParse(config('500h')).success).toBe(true);
    });
  }

  it('names the limit as a Go duration', () => {
    expect(grpcSchema.safeParse({ read_timeout: '600h' }).error?.issues[0]?.message).toContain(
      '596h31m23.647s',
    );
    expect(grpcSchema.safeParse({ read_timeout: '0s' }).data?.read_timeout).toBe(0);
    expect(grpcSchema.parse({}).read_timeout).toBe(30_000);
  });
});

describe('otlp grpc config: max_inflight_bytes_mib', () => {
  it('defaults to 128 MiB, or the largest call if max_recv_msg_size_mib makes it larger; 0 means no limit', () => {
    const MIB = 1024 * 1024;
    expect(inflightBudgetBytesOf(grpcSchema.parse({}))).toBe(128 * MIB);
    expect(inflightBudgetBytesOf(grpcSchema.parse({ max_recv_msg_size_mib: 100 }))).toBe(
      withMargin(301 * MIB + 10 + STREAM_MAX),
    );
    expect(inflightBudgetBytesOf(grpcSchema.parse({ max_inflight_bytes_mib: 0 }))).toBe(0);
    expect(inflightBudgetBytesOf(grpcSchema.parse({ max_inflight_bytes_mib: 64 }))).toBe(64 * MIB);
  });

  it("includes the largest message's HTTP/2 frame headers beyond initial_window_size (16 KiB frames, one more frame)", () => {
    const MIB = 1024 * 1024;
    const window = 65_535;
    // 128 MiB + 5 in 8,193 frames of 16 KiB: 73,737 bytes of frame headers, + one frame, - the window
    const framing = 9 * 8_193 + 9 + 16_384 - window;
    const largest = STREAM_MAX + window + 10 + 3 * 128 * MIB + framing;
    expect(
      inflightBudgetBytesOf(grpcSchema.parse({ initial_window_size: window, max_recv_msg_size_mib: 128 })),
    ).toBe(withMargin(largest));
    // a window that covers them adds nothing
    expect(inflightBudgetBytesOf(grpcSchema.parse({ max_recv_msg_size_mib: 128 }))).toBe(
      withMargin(STREAM_MAX + MIB + 10 + 384 * MIB),
    );
    // the smallest budget accepted holds it
    const minimum = Math.ceil(largest / MIB);
    const c = { initial_window_size: window, max_recv_msg_size_mib: 128 };
    expect(grpcSchema.safeParse({ ...c, max_inflight_bytes_mib: minimum - 1 }).success).toBe(false);
    expect(grpcSchema.safeParse({ ...c, max_inflight_bytes_mib: minimum }).success).toBe(true);
  });

  it("must hold the largest call (window + a compressed message and grpc-js's joined copy, with their prefixes, + its decompressed copy), or its sender retries forever", () => {
    // 76 KiB (the stream, 64 KiB of headers) + 1 MiB window + 2 × (5 + 4 MiB) + 4 MiB = 13 MiB + 77,834 bytes:
    // 13 is too small, 14 fits
    const tooSmall = grpcSchema.safeParse({ max_inflight_bytes_mib: 13 });
    expect(tooSmall.success).toBe(false);
    expect(tooSmall.error?.issues[0]?.path).toEqual(['max_inflight_bytes_mib']);
    expect(tooSmall.error?.issues[0]?.message).toContain('= 13709322 bytes (14 MiB)');
    expect(grpcSchema.safeParse({ max_inflight_bytes_mib: 14 }).success).toBe(true);
    const small = { max_recv_msg_size_mib: 1, initial_window_size: 65_535 };
    expect(grpcSchema.safeParse({ max_inflight_bytes_mib: 3, ...small }).success).toBe(false);
    expect(grpcSchema.safeParse({ max_inflight_bytes_mib: 4, ...small }).success).toBe(true);
    expect(grpcSchema.safeParse({ max_inflight_bytes_mib: 61, max_recv_msg_size_mib: 20 }).success).toBe(
      false,
    );
  });
});

describe('otlp grpc config: the largest call has the largest header list the server accepts', () => {
  const MIB = 1024 * 1024;
  it('counts a stream with 64 KiB of headers: the smallest budget and share accepted hold a call with them', () => {
    // Before, 4 KiB of headers were assumed while streamCost.ts charges every header byte over 4 KiB: this
    // config (the largest call, counted so, 4 MiB to the byte) was accepted, and a 1 MiB compressed call with
    // a 6,000-byte header was refused UNAVAILABLE on every retry.
    const old = { max_recv_msg_size_mib: 1, initial_window_size: MIB - 10 - STREAM };
    for (const key of ['max_inflight_bytes_mib', 'max_inflight_bytes_per_connection_mib'])
      expect(grpcSchema.safeParse({ ...old, [key]: 4 }).error?.issues[0]?.path).toEqual([key]);
    const edge = { max_recv_msg_size_mib: 1, initial_window_size: MIB - 10 - STREAM_MAX };
    expect(grpcSchema.safeParse({ ...edge, max_inflight_bytes_mib: 4 }).success).toBe(true);
    expect(
      grpcSchema.safeParse({ ...edge, max_inflight_bytes_mib: 8, max_inflight_bytes_per_connection_mib: 4 })
        .success,
    ).toBe(true);
    expect(
      grpcSchema.safeParse({
        ...edge,
        initial_window_size: edge.initial_window_size + 1,
        max_inflight_bytes_mib: 4,
      }).success,
    ).toBe(false);
  });

  it('an unset budget or share that comes to the largest call is a sixteenth more (smaller DATA frames, a proxy re-framing)', () => {
    const c = { max_recv_msg_size_mib: 100 };
    const largest = STREAM_MAX + MIB + 10 + 300 * MIB;
    expect(inflightBudgetBytesOf(grpcSchema.parse(c))).toBe(largest + Math.ceil(largest / 16));
    // the share of a small budget: the largest call (1 MiB messages, 64 KiB window) and a sixteenth
    const small = grpcSchema.parse({
      max_recv_msg_size_mib: 1,
      initial_window_size: 65_535,
      max_inflight_bytes_mib: 8,
    });
    const smallLargest = STREAM_MAX + 65_535 + 10 + 3 * MIB;
    expect(connectionShareBytesOf(small)).toBe(smallLargest + Math.ceil(smallLargest / 16));
    // never more than the budget
    const tight = grpcSchema.parse({
      max_recv_msg_size_mib: 1,
      initial_window_size: 65_535,
      max_inflight_bytes_mib: 4,
    });
    expect(connectionShareBytesOf(tight)).toBe(
      Math.min(4 * MIB, smallLargest + Math.ceil(smallLargest / 16)),
    );
  });
});

describe('otlp config: every duration key fits a Node timer', () => {
  // Before: HTTP's durations were only checked to be non-negative; `read_timeout: 3000000000h` failed the
  // start with Node's ERR_OUT_OF_RANGE (requestTimeout), and `idle_timeout: 600h` (keepAliveTimeout, a socket
  // timer) closed idle keep-alive connections after 1 ms.
  const cases: Array<[path: string[], value: Record<string, unknown>]> = [
    [['protocols', 'http', 'read_timeout'], { http: { read_timeout: '3000000000h' } }],
    [['protocols', 'http', 'read_timeout'], { http: { read_timeout: '600h' } }],
    [['protocols', 'http', 'read_header_timeout'], { http: { read_header_timeout: '600h' } }],
    [['protocols', 'http', 'write_timeout'], { http: { write_timeout: '600h' } }],
    [['protocols', 'http', 'idle_timeout'], { http: { idle_timeout: '600h' } }],
    [['protocols', 'http', 'tls', 'reload_interval'], { http: { tls: { reload_interval: '600h' } } }],
    [['protocols', 'grpc', 'tls', 'reload_interval'], { grpc: { tls: { reload_interval: '600h' } } }],
    [
      ['protocols', 'grpc', 'keepalive', 'enforcement_policy', 'min_time'],
      { grpc: { keepalive: { enforcement_policy: { min_time: '600h' } } } },
    ],
    [['protocols', 'grpc', 'read_timeout'], { grpc: { read_timeout: '600h' } }],
  ];
  for (const [path, protocols] of cases) {
    it(`${path.join('::')}: refused beyond 596h31m23.647s with the key's path`, () => {
      const over = otlpConfigSchema.safeParse({ protocols });
      expect(over.success).toBe(false);
      expect(over.error?.issues[0]?.path).toEqual(path);
      expect(over.error?.issues[0]?.message).toBe('must be at most 596h31m23.647s (the longest Node timer)');
      const atMost = JSON.parse(JSON.stringify(protocols).replace(/"(3000000000|600)h"/, '"596h31m23.647s"'));
      expect(otlpConfigSchema.safeParse({ protocols: atMost }).success).toBe(true);
    });
  }
});

describe('otlp grpc config: max_inflight_bytes_per_connection_mib', () => {
  const MIB = 1024 * 1024;
  it('defaults to a quarter of the budget, or the largest call if more; 0 or more than the budget: the budget', () => {
    expect(connectionShareBytesOf(grpcSchema.parse({}))).toBe(32 * MIB);
    expect(connectionShareBytesOf(grpcSchema.parse({ max_inflight_bytes_mib: 400 }))).toBe(100 * MIB);
    // 76 KiB + 1 MiB window + 2 × (5 + 4 MiB) + 4 MiB, and a sixteenth, is more than a quarter of 20 MiB
    expect(connectionShareBytesOf(grpcSchema.parse({ max_inflight_bytes_mib: 20 }))).toBe(
      withMargin(13 * MIB + 10 + STREAM_MAX),
    );
    expect(connectionShareBytesOf(grpcSchema.parse({ max_inflight_bytes_per_connection_mib: 0 }))).toBe(
      128 * MIB,
    );
    expect(connectionShareBytesOf(grpcSchema.parse({ max_inflight_bytes_per_connection_mib: 20 }))).toBe(
      20 * MIB,
    );
    expect(connectionShareBytesOf(grpcSchema.parse({ max_inflight_bytes_per_connection_mib: 200 }))).toBe(
      128 * MIB,
    );
    expect(connectionShareBytesOf(grpcSchema.parse({ max_inflight_bytes_mib: 0 }))).toBe(0);
  });

  it('must hold the largest call, and needs a budget', () => {
    const tooSmall = grpcSchema.safeParse({ max_inflight_bytes_per_connection_mib: 13 });
    expect(tooSmall.error?.issues[0]?.path).toEqual(['max_inflight_bytes_per_connection_mib']);
    expect(tooSmall.error?.issues[0]?.message).toContain('must hold the largest call');
    expect(grpcSchema.safeParse({ max_inflight_bytes_per_connection_mib: 14 }).success).toBe(true);
    const noBudget = grpcSchema.safeParse({
      max_inflight_bytes_mib: 0,
      max_inflight_bytes_per_connection_mib: 16,
    });
    expect(noBudget.error?.issues[0]?.path).toEqual(['max_inflight_bytes_per_connection_mib']);
    expect(noBudget.error?.issues[0]?.message).toContain('max_inflight_bytes_mib: 0');
  });
});
