/** CORS as the Collector's confighttp does it: allowed origins (with `*` wildcards), headers, max age. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OtlpHttpConfig } from '../config.ts';

type Cors = NonNullable<OtlpHttpConfig['cors']>;

function originMatcher(patterns: readonly string[]): (origin: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ),
  );
  return (origin) => res.some((r) => r.test(origin));
}

export class CorsPolicy {
  private readonly cors: Cors;
  private readonly allowed: (origin: string) => boolean;

  constructor(cors: Cors) {
    this.cors = cors;
    this.allowed = originMatcher(cors.allowed_origins);
  }

  /** Adds CORS headers for an allowed origin; returns true when the request was a preflight (answered here). */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.allowed(origin)) return false;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    const headers = ['Content-Type', 'Content-Encoding', ...this.cors.allowed_headers];
    res.setHeader('Access-Control-Allow-Headers', headers.join(', '));
    if (this.cors.max_age > 0) res.setHeader('Access-Control-Max-Age', String(this.cors.max_age));
    res.writeHead(204).end();
    return true;
  }
}
