/**
 * What a server authenticator extension offers receivers (the Collector's
 * `auth.Server`). The identity it returns is recorded on every record the
 * request carries (`audit.client.identity`), so the audit trail says who sent it.
 */
import type { Extension } from '../src/pipeline/factories.ts';

export interface AuthRequest {
  /** Header names in lower case (HTTP headers, gRPC metadata). */
  readonly headers: ReadonlyMap<string, string>;
}

export type AuthOutcome =
  { readonly ok: true; readonly identity: string } | { readonly ok: false; readonly reason: string };

export interface ServerAuthenticator extends Extension {
  authenticate(request: AuthRequest): AuthOutcome;
}

export function isServerAuthenticator(e: Extension | undefined): e is ServerAuthenticator {
  return e !== undefined && typeof (e as Partial<ServerAuthenticator>).authenticate === 'function';
}
