/**
 * Refusals at a stream's headers (streamAdmission.ts) are counted in the budget's stats
 * (`OtlpReceiver.inflightStats()`). The stream is a stand-in: what is checked is what admission does
 * with the headers; test/grpc-memory.test.ts sends such a request on a real server (a raw client that
 * does not wait for the server's SETTINGS) and checks the answer on the wire.
 */
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { InflightBudget } from './inflightBudget.ts';
import { MAX_HEADER_LIST_BYTES } from './streamCost.ts';
import { admitStream } from './streamAdmission.ts';

const MIB = 1024 * 1024;

/** A server stream that records how it was closed (and nothing else: admission reads no data here). */
function fakeStream(): { stream: http2.ServerHttp2Stream; closedWith: number[] } {
  const closedWith: number[] = [];
  const stream = {
    closed: false,
    destroyed: false,
    session: {},
    close: (code: number) => closedWith.push(code),
    on: () => stream,
    once: () => stream,
    prependListener: () => stream,
  };
  return { stream: stream as unknown as http2.ServerHttp2Stream, closedWith };
}

const request = {
  ':method': 'POST',
  ':path': '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  'content-type': 'application/grpc',
};

describe('streamAdmission: a header list over SETTINGS_MAX_HEADER_LIST_SIZE', () => {
  it('is refused (ENHANCE_YOUR_CALM) and counted in headerListRefusedCalls, nothing reserved', () => {
    const budget = new InflightBudget(8 * MIB);
    const o = { budget, streamWindowBytes: MIB, maxMessageBytes: MIB };
    const { stream, closedWith } = fakeStream();
    // 7 fields of 10,000 bytes: 70 KB, over the 64 KiB advertised
    const big = Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`x-big-${i}`, 'a'.repeat(10_000)]));
    admitStream(stream, { ...request, ...big }, o);
    expect(closedWith).toEqual([http2.constants.NGHTTP2_ENHANCE_YOUR_CALM]);
    // Old code: refused but not counted (no headerListRefusedCalls).
    expect(budget.stats()).toMatchObject({
      headerListRefusedCalls: 1,
      refusedCalls: 0,
      reservedBytes: 0,
      peakBytes: 0,
    });
  });

  it('a list as large as advertised is admitted and not counted', () => {
    const budget = new InflightBudget(8 * MIB);
    const o = { budget, streamWindowBytes: MIB, maxMessageBytes: MIB };
    const { stream, closedWith } = fakeStream();
    let listBytes = 0;
    for (const [k, v] of Object.entries(request)) listBytes += k.length + v.length + 32;
    const filler = 'a'.repeat(MAX_HEADER_LIST_BYTES - listBytes - ('x-filler'.length + 32));
    admitStream(stream, { ...request, 'x-filler': filler }, o);
    expect(closedWith).toEqual([]);
    expect(budget.stats().headerListRefusedCalls).toBe(0);
    expect(budget.stats().reservedBytes).toBeGreaterThan(0); // the stream's cost
  });
});
