/**
 * Server-side bearer-token authentication. Tokens are compared by their
 * SHA-256 digests with `timingSafeEqual`, so the comparison time does not
 * depend on how much of a guess matched. The identity recorded is
 * `bearer:<first 16 hex digits of SHA-256(token)>`: stable per token, and
 * the token itself never reaches the log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OtelAuditError } from '../../src/errors.ts';
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import { Lifecycle } from '../../src/pipeline/lifecycle.ts';
import type { AuthOutcome, AuthRequest, ServerAuthenticator } from '../Authenticator.ts';
import type { BearerTokenAuthConfig } from './config.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokenIdentity(token: string): string {
  return `bearer:${digest(token).toString('hex').slice(0, 16)}`;
}

export class BearerTokenAuth implements ServerAuthenticator {
  private readonly config: BearerTokenAuthConfig;
  private readonly settings: CreateSettings;
  private readonly lifecycle: Lifecycle;
  private digests: Array<{ digest: Buffer; identity: string }> = [];

  constructor(settings: CreateSettings, config: BearerTokenAuthConfig) {
    this.settings = settings;
    this.config = config;
    this.lifecycle = new Lifecycle(
      async () => this.load(),
      async () => undefined,
    );
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  shutdown(deadlineMs?: number): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  authenticate(request: AuthRequest): AuthOutcome {
    const value = request.headers.get(this.config.header.toLowerCase());
    if (value === undefined) return { ok: false, reason: `missing ${this.config.header} header` };
    const token = this.tokenOf(value);
    if (token === undefined)
      return { ok: false, reason: `${this.config.header} must use the ${this.config.scheme} scheme` };
    const presented = digest(token);
    let identity: string | undefined;
    for (const d of this.digests) if (timingSafeEqual(d.digest, presented)) identity = d.identity;
    return identity ? { ok: true, identity } : { ok: false, reason: 'invalid token' };
  }

  /**
   * The credentials after `<scheme>` and one or more spaces: RFC 9110 §11.4 (RFC 7235 §2.1)
   * `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`. The Collector's extension compares
   * the whole value with `<scheme> <token>` and so takes exactly one space; several are valid HTTP and
   * are accepted here. Stricter like the Collector where that is sensible: SP only (not a tab, which the
   * grammar does not allow there), and a token must follow. The scheme is matched case-insensitively
   * (RFC 9110 §11.1; RFC 6750 §2.1: `bearer` and `BEARER` are `Bearer`), the token exactly, as sent.
   */
  private tokenOf(value: string): string | undefined {
    const scheme = this.config.scheme;
    if (scheme === '') return value;
    if (value.length <= scheme.length || value[scheme.length] !== ' ') return undefined;
    if (value.slice(0, scheme.length).toLowerCase() !== scheme.toLowerCase()) return undefined;
    let start = scheme.length + 1;
    while (start < value.length && value[start] === ' ') start++;
    if (start === value.length || /\s/.test(value[start] ?? '')) return undefined;
    return value.slice(start);
  }

  private load(): void {
    let tokens: string[];
    if (this.config.filename !== undefined) {
      const file = path.resolve(this.settings.baseDir, this.config.filename);
      try {
        tokens = readFileSync(file, 'utf8')
          .split('\n')
          .map((t) => t.trim())
          .filter((t) => t !== '');
      } catch (err) {
        throw new OtelAuditError('CONFIG_INVALID', `${this.settings.id}: cannot read token file ${file}`, {
          cause: err,
        });
      }
      if (tokens.length === 0)
        throw new OtelAuditError('CONFIG_INVALID', `${this.settings.id}: token file ${file} is empty`);
    } else {
      tokens = this.config.tokens ?? [this.config.token ?? ''];
    }
    this.digests = tokens.map((t) => ({ digest: digest(t), identity: tokenIdentity(t) }));
  }
}
