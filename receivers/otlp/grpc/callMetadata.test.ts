/**
 * With a budget, a call is authenticated on its raw HTTP/2 headers
 * (streamAdmission.ts) and the handler reuses that outcome: the
 * authenticator must see there exactly what it would see from grpc-js's
 * `call.metadata` in the handler, or a token could be read differently at
 * admission. Real grpc-js server, raw HTTP/2 client with headers an exporter
 * would not send (duplicates, binary and comma-joined binary entries, values
 * grpc-js refuses, grpc-js's own headers).
 */
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authRequestOfHeaders, authRequestOfMetadata } from './callMetadata.ts';
import { http2ServersOf } from './http2Transport.ts';
import { LOGS_SERVICE } from './OtlpGrpcServer.ts';

const PATH = '/opentelemetry.proto.collector.logs.v1.LogsService/Export';

/** The headers grpc-js removes from a call's metadata (written out here, not taken from callMetadata.ts: the oracle). */
const NOT_METADATA = [
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Sends one call with `headers`; resolves with the raw headers of its stream and grpc-js's `call.metadata`. */
async function seen(
  headers: http2.OutgoingHttpHeaders,
): Promise<{ raw: http2.IncomingHttpHeaders; metadata: grpc.Metadata }> {
  const server = new grpc.Server();
  let metadata: grpc.Metadata | undefined;
  server.addService(LOGS_SERVICE, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      metadata = call.metadata;
      cb(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  cleanups.push(() => server.forceShutdown());
  let raw: http2.IncomingHttpHeaders | undefined;
  for (const h of http2ServersOf(server))
    h.on('stream', (_s: http2.ServerHttp2Stream, hs: http2.IncomingHttpHeaders) => (raw = hs));
  const session = http2.connect(`http://127.0.0.1:${port}`);
  cleanups.push(() => session.destroy());
  const stream = session.request({
    ':method': 'POST',
    ':path': PATH,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  const status = await new Promise<unknown>((resolve, reject) => {
    let s: unknown;
    stream.on('response', (h) => (s ??= h['grpc-status']));
    stream.on('trailers', (t) => (s ??= t['grpc-status']));
    stream.on('error', reject);
    stream.on('close', () => resolve(s));
    stream.resume();
    stream.end(Buffer.alloc(5)); // one empty, uncompressed message
  });
  expect(status).toBe('0');
  if (raw === undefined || metadata === undefined) throw new Error('the call was not seen');
  return { raw, metadata };
}

describe('callMetadata: the authenticator sees the same request at admission and in the handler', () => {
  it('for the headers an exporter sends and for odd ones', async () => {
    const { raw, metadata } = await seen({
      authorization: 'Bearer t0k3n',
      'user-agent': 'grpc-go/1.70.0',
      'grpc-timeout': '10S',
      'grpc-encoding': 'identity',
      'grpc-accept-encoding': 'gzip',
      'accept-encoding': 'gzip',
      'x-dup': ['first', 'second'],
      'x-token-bin': Buffer.from('binary').toString('base64'),
      'x-joined-bin': `${Buffer.from('a').toString('base64')},${Buffer.from('b').toString('base64')}`,
      'x-latin': 'caf\u00e9',
    });
    const atAdmission = authRequestOfHeaders(raw).headers;
    const inHandler = authRequestOfMetadata(metadata).headers;
    expect([...atAdmission].sort()).toEqual([...inHandler].sort());
    expect(atAdmission.get('authorization')).toBe('Bearer t0k3n');
    expect(atAdmission.get('x-dup')).toBe('first, second'); // Node joins repeated fields
    // grpc-js's own headers, pseudo-headers and binary entries are not offered to the authenticator
    for (const key of [
      ...NOT_METADATA,
      ':path',
      'x-token-bin',
      'x-joined-bin',
      'x-latin', // not printable ASCII: grpc-js drops it (and logs it)
    ])
      expect(atAdmission.has(key)).toBe(false);
  });
});

describe('callMetadata: a header value grpc-js refuses is logged once per call', () => {
  const refusedLogs = (spy: { mock: { calls: unknown[][] } }): number =>
    spy.mock.calls.filter((c) => String(c[0]).includes('Failed to add metadata entry')).length;

  it('not at admission: grpc-js logs it when it makes the handler its metadata, once', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { raw } = await seen({ authorization: 'Bearer t0k3n', 'x-latin': 'caf\u00e9' });
      expect(refusedLogs(stderr)).toBe(1); // grpc-js, for call.metadata
      const atAdmission = authRequestOfHeaders(raw).headers;
      // Old code: grpc.Metadata.fromHttp2Headers logged it again here, for every call.
      expect(refusedLogs(stderr)).toBe(1);
      expect(atAdmission.has('x-latin')).toBe(false);
      expect(atAdmission.get('authorization')).toBe('Bearer t0k3n');
    } finally {
      stderr.mockRestore();
    }
  });

  it('the values grpc-js keeps: the first of a list when it is legal, none when the key is illegal', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const headers = {
        'x-list': ['ok', 'caf\u00e9'],
        'x-list-bad-first': ['caf\u00e9', 'ok'],
        'x-empty': '',
        'x key': 'v',
        'X-Upper': 'v',
      } as unknown as http2.IncomingHttpHeaders;
      const metadata = grpc.Metadata.fromHttp2Headers(headers);
      expect([...authRequestOfHeaders(headers).headers].sort()).toEqual(
        [...authRequestOfMetadata(metadata).headers].sort(),
      );
      expect(authRequestOfHeaders(headers).headers.get('x-list')).toBe('ok');
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('callMetadata: authRequestOfHeaders gives what grpc-js gives, for any headers', () => {
  /** The authenticator's request as the handler makes it: grpc-js's conversion, its own headers removed. */
  const ofGrpcJs = (headers: http2.IncomingHttpHeaders): ReadonlyMap<string, string> => {
    const metadata = grpc.Metadata.fromHttp2Headers(headers);
    for (const key of NOT_METADATA) metadata.remove(key);
    return authRequestOfMetadata(metadata).headers;
  };

  it('a `__proto__` header, sent to a real server: not offered at admission, as grpc-js drops it from the handler', async () => {
    // Before, the admission (with a budget and an authenticator) offered it: grpc-js's getMap() assigns keys
    // to a plain object, where `__proto__` sets the prototype (a string: ignored) instead of an entry.
    const { raw, metadata } = await seen({ authorization: 'Bearer t0k3n', ['__proto__']: 'v' });
    expect(Object.keys(raw)).toContain('__proto__'); // Node delivers it as a header
    const inHandler = authRequestOfMetadata(metadata).headers;
    expect(inHandler.has('__proto__')).toBe(false);
    expect([...authRequestOfHeaders(raw).headers].sort()).toEqual([...inHandler].sort());
  });

  it('random header objects (case, -bin, illegal keys and values, lists, prototype names): the same map', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const keys = [
        'authorization',
        'x-a',
        'X-A',
        'x-b-bin',
        'X-B-BIN',
        'grpc-timeout',
        'Content-Type',
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'x key',
        'x:y',
        ':path',
        'x-\u00e9',
        'grpc-x',
        'te',
        '-bin',
      ];
      const values = ['ok', '', 'caf\u00e9', 'a,b', 'tab\there', 'x\u007f', ' sp '];
      let seed = 12345;
      const pick = <T>(xs: readonly T[]): T => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return xs[seed % xs.length] as T;
      };
      for (let i = 0; i < 5_000; i++) {
        const headers = Object.create(null) as Record<string, string | string[]>;
        for (let n = 1 + (i % 5); n > 0; n--)
          headers[pick(keys)] = i % 3 === 0 ? [pick(values), pick(values)].slice(0, i % 4) : pick(values);
        const h = headers as unknown as http2.IncomingHttpHeaders;
        expect([...authRequestOfHeaders(h).headers].sort(), JSON.stringify(headers)).toEqual(
          [...ofGrpcJs(h)].sort(),
        );
      }
    } finally {
      stderr.mockRestore();
    }
  });
});
