/** The byte formats and nonces that the privacy formats rest on (pinned: tokens and ciphertexts outlive releases). */
import { createSecretKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { associatedData, GCM_NONCE_BYTES, openGcm, randomNonce, sealGcm } from './aead.ts';
import { KeyCache } from './internal/KeyCache.ts';
import type { DataKey } from './KeyStore.ts';
import { encodeValueBytes } from './valueBytes.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('associatedData', () => {
  it('is the label, then each part as u32 big-endian length + bytes (UTF-8 for strings)', () => {
    expect(hex(associatedData('L', ['ab', Uint8Array.of(1, 2), 'é', '']))).toBe(
      `4c${'00000002' + '6162'}${'00000002' + '0102'}${'00000002' + 'c3a9'}00000000`,
    );
    expect(hex(associatedData('otel-audit', []))).toBe(Buffer.from('otel-audit').toString('hex'));
  });
});

describe('encodeValueBytes', () => {
  it('encodes a string as tag 1, u32 UTF-8 length, UTF-8, alone and inside containers alike', () => {
    expect(hex(encodeValueBytes(''))).toBe('0100000000');
    expect(hex(encodeValueBytes('é😀'))).toBe('0100000006c3a9f09f9880');
    expect(hex(encodeValueBytes(['é😀']))).toBe(`0600000001${'0100000006c3a9f09f9880'}`);
    // A lone surrogate is written as U+FFFD, with the length of what is written.
    expect(hex(encodeValueBytes('\ud800'))).toBe('0100000003efbfbd');
  });
});

describe('random nonces', () => {
  it('are 12 bytes and never repeat, across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const nonce = randomNonce();
      expect(nonce.length).toBe(GCM_NONCE_BYTES);
      seen.add(hex(nonce));
    }
    expect(seen.size).toBe(5_000);
  });

  it('give each sealGcm its own nonce, and the result opens', () => {
    const key = createSecretKey(Buffer.alloc(32, 7));
    const aad = associatedData('t', []);
    const a = sealGcm(key, Buffer.from('same'), aad);
    const b = sealGcm(key, Buffer.from('same'), aad);
    expect(hex(a.subarray(0, GCM_NONCE_BYTES))).not.toBe(hex(b.subarray(0, GCM_NONCE_BYTES)));
    expect(openGcm(key, a, aad, 'a').toString()).toBe('same');
    expect(openGcm(key, b, aad, 'b').toString()).toBe('same');
  });
});

describe('KeyCache', () => {
  const key = (id: string): DataKey => ({ id, key: createSecretKey(Buffer.alloc(32, 1)) });
  const cache = (max: number) => new KeyCache(max, 60_000, () => 0);

  /** A full cache of a..d (a the oldest), then a hit on `hit`, then `e` inserted (one eviction). */
  const afterHitAndInsert = (hit: string) => {
    const c = cache(4);
    for (const ref of ['a', 'b', 'c', 'd']) c.set(ref, key(ref));
    expect(c.get(hit)?.id).toBe(hit);
    c.set('e', key('e'));
    return c;
  };

  it('evicts the least recently used entry: a hit on an old entry saves it', () => {
    const c = afterHitAndInsert('a');
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')?.id).toBe('a');
    expect(c.size).toBe(4);
  });

  it('evicts the oldest when the hits were on young entries', () => {
    const c = afterHitAndInsert('d');
    expect(c.get('a')).toBeUndefined();
    for (const ref of ['b', 'c', 'd', 'e']) expect(c.get(ref)?.id).toBe(ref);
  });

  it('forgets entries older than the TTL', () => {
    let now = 0;
    const c = new KeyCache(4, 1_000, () => now);
    c.set('a', key('a'));
    now = 999;
    expect(c.get('a')?.id).toBe('a');
    now = 1_000;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });
});
