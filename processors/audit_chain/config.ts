/**
 * `audit_chain` processor configuration. See README.md in this folder.
 */
import { z } from 'zod';
import { timerDurationMs } from '../../config/duration.ts';

export const AUDIT_CHAIN_TYPE = 'audit_chain';

export const auditChainConfigSchema = z.strictObject({
  /** Chain (stream) id; empty: created once per WAL directory and kept in `<wal>/stream_id`. */
  stream_id: z.string().max(256),
  /** A checkpoint after this many records. */
  checkpoint_every_records: z.number().int().min(1).max(10_000_000),
  /** ...or when this much time has passed since the last one (and records arrived); an idle timer of this period. */
  checkpoint_interval: timerDurationMs(),
});

export type AuditChainConfig = z.output<typeof auditChainConfigSchema>;

export function createDefaultAuditChainConfig(): unknown {
  return { stream_id: '', checkpoint_every_records: 1000, checkpoint_interval: '10s' };
}
