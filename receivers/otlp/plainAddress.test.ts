import { describe, expect, it } from 'vitest';
import { peerAddress } from './grpc/OtlpGrpcServer.ts';
import { plainAddress } from './plainAddress.ts';

describe('the peer address recorded as audit.client.address', () => {
  it('is the IPv4 address for an IPv4-mapped IPv6 peer (a dual-stack listener), on both protocols', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(peerAddress('ipv6:[::ffff:127.0.0.1]:5000', { remoteAddress: '::ffff:127.0.0.1' })).toBe(
      '127.0.0.1',
    );
    expect(peerAddress('ipv6:[::ffff:10.1.2.3]:5000')).toBe('10.1.2.3');
  });

  it('leaves other addresses as they are', () => {
    for (const a of ['127.0.0.1', '::1', 'fe80::1', '::ffff:1.2.3', '2001:db8::ffff:1.2.3.4'])
      expect(plainAddress(a)).toBe(a);
    expect(peerAddress('ipv6:[::1]:5000')).toBe('::1');
    expect(peerAddress('unix:/tmp/s')).toBe('unix');
  });
});
