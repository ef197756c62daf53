import { describe, expect, it } from 'vitest';
import { BearerTokenAuth, tokenIdentity } from '../extensions/bearertokenauth/BearerTokenAuth.ts';
import {
  bearerTokenAuthConfigSchema,
  createDefaultBearerTokenAuthConfig,
} from '../extensions/bearertokenauth/config.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

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
    const auth = await started({ token: 'S3cret-Token' });
    const ok = { ok: true, identity: tokenIdentity('S3cret-Token') };
    expect(auth.authenticate(withHeader('Bearer S3cret-Token'))).toEqual(ok);
    expect(auth.authenticate(withHeader('bearer S3cret-Token'))).toEqual(ok);
    expect(auth.authenticate(withHeader('BEARER S3cret-Token'))).toEqual(ok);
    expect(auth.authenticate(withHeader('bearer s3cret-token'))).toEqual({
      ok: false,
      reason: 'invalid token',
    });
    for (const wrongScheme of ['Basic S3cret-Token', 'BearerS3cret-Token', 'Bearer', 'Bearer-S3cret-Token']) {
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

  it('takes the whole value as the token when the scheme is empty, and honours a custom scheme', async () => {
    const bare = await started({ token: 'abc', scheme: '', header: 'X-Api-Key' });
    expect(bare.authenticate({ headers: new Map([['x-api-key', 'abc']]) })).toMatchObject({ ok: true });
    const custom = await started({ token: 'abc', scheme: 'Token' });
    expect(custom.authenticate(withHeader('token abc'))).toMatchObject({ ok: true });
    expect(custom.authenticate(withHeader('Bearer abc'))).toMatchObject({ ok: false });
  });
});
