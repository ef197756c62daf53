/**
 * `bearertokenauth` extension (Collector contrib `bearertokenauthextension`),
 * server side: `token` or `tokens` (usually `${env:...}`), or `filename`;
 * `scheme` (default `Bearer`) and `header` (default `Authorization`).
 */
import { z } from 'zod';

export const BEARER_TOKEN_AUTH_TYPE = 'bearertokenauth';

export const bearerTokenAuthConfigSchema = z
  .strictObject({
    header: z.string().min(1),
    scheme: z.string(),
    token: z.string().optional(),
    tokens: z.array(z.string().min(1)).optional(),
    filename: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const sources = [
      c.token !== undefined && c.token !== '',
      (c.tokens?.length ?? 0) > 0,
      c.filename !== undefined,
    ];
    if (sources.filter(Boolean).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'set exactly one of token, tokens or filename (a non-empty token)',
      });
    }
  });

export type BearerTokenAuthConfig = z.output<typeof bearerTokenAuthConfigSchema>;

export function createDefaultBearerTokenAuthConfig(): unknown {
  return { header: 'Authorization', scheme: 'Bearer' };
}
