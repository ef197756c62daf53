/** configtls server settings → Node TLS options (files read at start; errors name the file). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { OtelAuditError } from '../../src/errors.ts';
import type { OtlpGrpcConfig } from './config.ts';

export type TlsConfig = NonNullable<OtlpGrpcConfig['tls']>;

const VERSION: Record<string, SecureContextOptions['minVersion']> = {
  '1.0': 'TLSv1',
  '1.1': 'TLSv1.1',
  '1.2': 'TLSv1.2',
  '1.3': 'TLSv1.3',
};

function read(baseDir: string, file: string, what: string): Buffer {
  const p = path.resolve(baseDir, file);
  try {
    return readFileSync(p);
  } catch (err) {
    throw new OtelAuditError('CONFIG_INVALID', `tls::${what}: cannot read ${p}`, { cause: err });
  }
}

export interface ResolvedTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set for mutual TLS: client certificates are required and verified against it. */
  readonly clientCa: Buffer | undefined;
  readonly options: TlsOptions;
}

export function resolveTls(tls: TlsConfig, baseDir: string): ResolvedTls {
  const cert = tls.cert_pem
    ? Buffer.from(tls.cert_pem)
    : tls.cert_file
      ? read(baseDir, tls.cert_file, 'cert_file')
      : undefined;
  const key = tls.key_pem
    ? Buffer.from(tls.key_pem)
    : tls.key_file
      ? read(baseDir, tls.key_file, 'key_file')
      : undefined;
  if (!cert || !key) throw new OtelAuditError('CONFIG_INVALID', 'tls: a server needs cert_file and key_file');
  const clientCa = tls.client_ca_file ? read(baseDir, tls.client_ca_file, 'client_ca_file') : undefined;
  return {
    cert,
    key,
    clientCa,
    options: {
      cert,
      key,
      minVersion: VERSION[tls.min_version ?? '1.2'] ?? 'TLSv1.2',
      ...(tls.max_version ? { maxVersion: VERSION[tls.max_version] } : {}),
      ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
  };
}
