import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HMAC_SHORT_MESSAGE_BYTES_MAX, HmacSha256 } from './hmacSha256.ts';

const reference = (key: Uint8Array, message: Uint8Array): string =>
  createHmac('sha256', key).update(message).digest('hex');

describe('HmacSha256', () => {
  it('equals node:crypto for every message length up to the JavaScript bound and past it', () => {
    const key = randomBytes(32);
    const mac = new HmacSha256(createSecretKey(key));
    for (let n = 0; n <= HMAC_SHORT_MESSAGE_BYTES_MAX + 70; n++) {
      const message = randomBytes(n);
      expect(mac.digest(message).toString('hex'), `length ${n}`).toBe(reference(key, message));
    }
  });

  it('equals node:crypto for keys of any length (longer than a block: hashed first) and random messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, message) => {
          const mac = new HmacSha256(createSecretKey(key));
          expect(mac.digest(message).toString('hex')).toBe(reference(key, message));
          // The scratch is shared: a second call (other length) must not see the first one's bytes.
          expect(mac.digest(message.subarray(0, message.length >> 1)).toString('hex')).toBe(
            reference(key, message.subarray(0, message.length >> 1)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('RFC 4231 test case 2 (key "Jefe")', () => {
    const mac = new HmacSha256(createSecretKey(Buffer.from('Jefe')));
    expect(mac.digest(Buffer.from('what do ya want for nothing?')).toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('keys are independent (the padded states are per instance)', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const ma = new HmacSha256(createSecretKey(a));
    const mb = new HmacSha256(createSecretKey(b));
    const m = Buffer.from('same value');
    expect(ma.digest(m).toString('hex')).toBe(reference(a, m));
    expect(mb.digest(m).toString('hex')).toBe(reference(b, m));
  });
});

describe('HmacSha256 key bytes', () => {
  it.each([32, 100])('zeroes the copy of a %i-byte key it exported once the padded blocks are made', (n) => {
    const real = createSecretKey(randomBytes(n));
    const exported: Buffer[] = [];
    const spy = new Proxy(real, {
      get(target, prop) {
        if (prop === 'export')
          return () => {
            const b = real.export();
            exported.push(b);
            return b;
          };
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const mac = new HmacSha256(spy);
    expect(exported.length).toBe(1);
    expect((exported[0] as Buffer).every((b) => b === 0)).toBe(true);
    const m = Buffer.from('value');
    expect(mac.digest(m).toString('hex')).toBe(reference(real.export(), m));
  });
});
