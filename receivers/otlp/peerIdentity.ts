/** The identity of a verified client certificate (mutual TLS): `x509:<subject>`; undefined when there is none. */
import type { TLSSocket } from 'node:tls';

export function peerIdentity(socket: TLSSocket): string | undefined {
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const subject = Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
  return `x509:${subject};sha256=${(cert.fingerprint256 ?? '').replaceAll(':', '').toLowerCase().slice(0, 16)}`;
}
