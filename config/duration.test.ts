/**
 * Durations that become Node timers: a value beyond 2^31 - 1 ms would fire after 1 ms instead
 * (TimeoutOverflowWarning), so `timerDurationMs` refuses it with the limit in the message; the
 * keys that feed timers (audit_chain's checkpoint_interval, serve's --shutdown-timeout, the gRPC
 * receiver's timeouts) use it.
 */
import { describe, expect, it } from 'vitest';
import { auditChainConfigSchema } from '../processors/audit_chain/config.ts';
import { EXIT } from '../src/cli/exitCodes.ts';
import { runCli } from '../src/cli/testutil/runCli.ts';
import { goDurationText, TIMER_MS_MAX, timerDurationMs } from './duration.ts';

describe('timerDurationMs', () => {
  it('takes durations up to the longest Node timer and refuses one past it, naming the limit', () => {
    expect(timerDurationMs().parse('596h31m23.647s')).toBe(TIMER_MS_MAX);
    const over = timerDurationMs().safeParse('596h31m23.648s');
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.message).toBe('must be at most 596h31m23.647s (the longest Node timer)');
    expect(goDurationText(TIMER_MS_MAX)).toBe('596h31m23.647s');
  });

  it("bounds audit_chain's checkpoint_interval (its idle timer's period)", () => {
    const base = { stream_id: '', checkpoint_every_records: 1000 };
    expect(auditChainConfigSchema.parse({ ...base, checkpoint_interval: '24h' }).checkpoint_interval).toBe(
      86_400_000,
    );
    expect(auditChainConfigSchema.safeParse({ ...base, checkpoint_interval: '720h' }).success).toBe(false);
  });

  it("refuses serve's --shutdown-timeout past it before starting anything", async () => {
    const r = await runCli(['serve', '--shutdown-timeout', '600h']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toBe(
      'otel-audit: --shutdown-timeout: must be at most 596h31m23.647s (the longest Node timer)\n',
    );
  });
});
