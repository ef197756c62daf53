/**
 * How `bearertokenauth` reads the credentials (RFC 9110 §11.4:
 * `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`), unit and
 * through the real OTLP receiver over HTTP and gRPC.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpReceiver } from '../../receivers/otlp/OtlpReceiver.ts';
import { loopbackReceiverWithAuth } from '../../receivers/otlp/testing/loopbackReceiver.ts';
import { encodeOtlpLogsProtobuf } from '../../src/otlp/protobufCodec.ts';
import type { LogBatch, LogsConsumer } from '../../src/pipeline/consumer.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { exportRaw } from '../../test/helpers/rawOtlpGrpc.ts';
import { BearerTokenAuth, tokenIdentity } from './BearerTokenAuth.ts';
import { bearerTokenAuthConfigSchema, createDefaultBearerTokenAuthConfig } from './config.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const TOKEN = 'S3cret-Token';

async function started(overrides: Record<string, unknown>): Promise<BearerTokenAuth> {
  const config = bearerTokenAuthConfigSchema.parse({
    ...(createDefaultBearerTokenAuthConfig() as object),
    ...overrides,
  });
  const auth = new BearerTokenAuth({ id: 'bearertokenauth', baseDir: process.cwd(), logger: silent }, config);
  await auth.start();
  return auth;
}

const withHeader = (value: string): { headers: Map<string, string> } => ({
  headers: new Map([['authorization', value]]),
});

describe('bearertokenauth', () => {
  it('matches the scheme case-insensitively (RFC 6750 / RFC 7235) and the token exactly', async () => {
    const auth = await started({ token: TOKEN });
    const ok = { ok: true, identity: tokenIdentity(TOKEN) };
    expect(auth.authenticate(withHeader(`Bearer ${TOKEN}`))).toEqual(ok);
    expect(auth.authenticate(withHeader(`bearer ${TOKEN}`))).toEqual(ok);
    expect(auth.authenticate(withHeader(`BEARER ${TOKEN}`))).toEqual(ok);
    expect(auth.authenticate(withHeader(`bearer ${TOKEN.toLowerCase()}`))).toEqual({
      ok: false,
      reason: 'invalid token',
    });
    for (const wrongScheme of [`Basic ${TOKEN}`, `Bearer-${TOKEN}`]) {
      expect(auth.authenticate(withHeader(wrongScheme))).toEqual({
        ok: false,
        reason: 'Authorization must use the Bearer scheme',
      });
    }
    expect(auth.authenticate({ headers: new Map() })).toEqual({
      ok: false,
      reason: 'missing Authorization header',
    });
  });
});

describe('bearertokenauth credentials syntax', () => {
  it('accepts one or more spaces between the scheme and the token (1*SP)', async () => {
    const auth = await started({ token: TOKEN });
    const ok = { ok: true, identity: tokenIdentity(TOKEN) };
    for (const sep of [' ', '  ', '    ', ' '.repeat(40)]) {
      expect(auth.authenticate(withHeader(`Bearer${sep}${TOKEN}`))).toEqual(ok);
      expect(auth.authenticate(withHeader(`bEaReR${sep}${TOKEN}`))).toEqual(ok);
    }
  });

  it('still refuses what RFC 9110 does not allow: no space, a tab, or no token at all', async () => {
    const auth = await started({ token: TOKEN });
    const wrongScheme = { ok: false, reason: 'Authorization must use the Bearer scheme' };
    for (const value of [
      `Bearer${TOKEN}`,
      `Bearer\t${TOKEN}`,
      `Bearer \t${TOKEN}`,
      'Bearer',
      'Bearer ',
      'Bearer     ',
      `Basic  ${TOKEN}`,
    ]) {
      expect(auth.authenticate(withHeader(value)), JSON.stringify(value)).toEqual(wrongScheme);
    }
    // The token is compared exactly, as sent: trailing or inner spaces are part of it.
    for (const value of [`Bearer  ${TOKEN} `, `Bearer ${TOKEN.slice(0, 3)} ${TOKEN.slice(3)}`]) {
      expect(auth.authenticate(withHeader(value)), JSON.stringify(value)).toEqual({
        ok: false,
        reason: 'invalid token',
      });
    }
  });

  it('with a custom scheme too, and not at all with the empty scheme (the whole value is the token)', async () => {
    const custom = await started({ token: 'abc', scheme: 'Token' });
    expect(custom.authenticate(withHeader('token abc'))).toMatchObject({ ok: true });
    expect(custom.authenticate(withHeader('token   abc'))).toMatchObject({ ok: true });
    expect(custom.authenticate(withHeader('Bearer abc'))).toMatchObject({ ok: false });
    const bare = await started({ token: 'abc', scheme: '', header: 'X-Api-Key' });
    expect(bare.authenticate({ headers: new Map([['x-api-key', 'abc']]) })).toMatchObject({ ok: true });
    expect(bare.authenticate({ headers: new Map([['x-api-key', '  abc']]) })).toEqual({
      ok: false,
      reason: 'invalid token',
    });
  });
});

/** The `otlp` receiver (HTTP and gRPC on loopback) with this extension, into a consumer that keeps the batches. */
class ReceiverFixture implements LogsConsumer {
  private readonly batches: LogBatch[] = [];
  private receiver: OtlpReceiver | undefined;
  private readonly body = Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: 'x' })]));

  consumeLogs(batch: LogBatch): Promise<void> {
    this.batches.push(batch);
    return Promise.resolve();
  }

  identities(): Array<string | undefined> {
    return this.batches.map((b) => b.client?.authenticatedAs);
  }

  async start(): Promise<void> {
    const auth = await started({ token: TOKEN });
    this.receiver = loopbackReceiverWithAuth(auth, this);
    await this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver?.shutdown(5_000);
  }

  async postHttp(authorization: string): Promise<number> {
    const res = await fetch(`http://${this.receiver?.endpoints.http ?? ''}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', Authorization: authorization },
      body: this.body,
    });
    await res.arrayBuffer();
    if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
    return res.status;
  }

  /** One `LogsService/Export` call with `authorization: Bearer <credentials>` metadata; resolves with its status code. */
  async exportGrpc(credentials: string): Promise<grpc.status> {
    const err = await exportRaw(this.receiver?.endpoints.grpc ?? '', this.body, { bearerToken: credentials });
    return err === null ? grpc.status.OK : err.code;
  }
}

describe('bearertokenauth through the OTLP receiver', () => {
  const fx = new ReceiverFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());

  it('HTTP: several spaces authenticate; a wrong token is refused 401 with WWW-Authenticate', async () => {
    expect(await fx.postHttp(`Bearer   ${TOKEN}`)).toBe(200);
    expect(fx.identities()).toEqual([tokenIdentity(TOKEN)]);
    expect(await fx.postHttp(`Bearer   nope`)).toBe(401);
    expect(fx.identities()).toEqual([tokenIdentity(TOKEN)]);
  });

  it('gRPC: several spaces authenticate; a wrong token is UNAUTHENTICATED', async () => {
    // exportRaw sends `Bearer ` + what it is given: four spaces in all
    expect(await fx.exportGrpc(`   ${TOKEN}`)).toBe(grpc.status.OK);
    expect(fx.identities()).toEqual([tokenIdentity(TOKEN), tokenIdentity(TOKEN)]);
    expect(await fx.exportGrpc(`   nope`)).toBe(grpc.status.UNAUTHENTICATED);
    expect(fx.identities()).toHaveLength(2);
  });
});
