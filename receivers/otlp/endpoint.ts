/** Parses a Collector endpoint (`host:port`, `[::1]:4318`, `:4318`) or a unix socket path. */
import { OtelAuditError } from '../../src/errors.ts';

export type ListenTarget =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export function parseEndpoint(endpoint: string, transport: 'tcp' | 'unix'): ListenTarget {
  if (transport === 'unix') return { kind: 'unix', path: endpoint.replace(/^unix:\/\//, '') };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(endpoint);
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new OtelAuditError(
      'CONFIG_INVALID',
      `endpoint "${endpoint}" must be host:port (e.g. 127.0.0.1:4318)`,
    );
  }
  const host = m[1] ?? m[2] ?? '';
  return { kind: 'tcp', host: host === '' ? '0.0.0.0' : host, port };
}

export function describeTarget(t: ListenTarget): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}
