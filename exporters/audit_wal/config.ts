/**
 * `audit_wal` exporter configuration (YAML keys in the Collector's snake_case).
 * See README.md in this folder for the reference.
 */
import { z } from 'zod';
import { FRAME_OVERHEAD_BYTES, SEGMENT_HEADER_BYTES } from '../../src/wal/format.ts';
import { WAL_DEFAULTS } from '../../src/wal/options.ts';

export const AUDIT_WAL_TYPE = 'audit_wal';

const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const auditWalConfigSchema = z
  .strictObject({
    /** WAL directory; relative paths resolve against the working directory. */
    directory: z.string().min(1),
    sync_policy: z.enum(['fdatasync', 'fsync', 'none']),
    commit_delay_ms: z.number().int().min(0).max(10_000),
    commits_in_flight_max: z.number().int().min(1).max(2),
    segment_bytes_max: z
      .number()
      .int()
      .min(4096)
      .max(4 * 1024 ** 3),
    payload_bytes_max: z
      .number()
      .int()
      .min(0)
      .max(128 * 1024 ** 2),
    queue_records_max: positiveInt(100_000_000),
    queue_bytes_max: positiveInt(16 * 1024 ** 3),
    when_queue_full: z.enum(['block', 'reject']),
    preallocate: z.enum(['auto', 'background', 'inline', 'off']),
    verify_on_open: z.enum(['tail', 'full']),
    /**
     * How often the WAL's high-water mark (the last durable seq, kept in a file beside the segments) is
     * brought up to date while records are acknowledged, besides at each rollover and at close; 0: only
     * then. Records acknowledged within about this time before a crash are not covered by it
     * (docs/recovery.md). At most an hour.
     */
    high_water_mark_interval_ms: z.number().int().min(0).max(3_600_000),
    /** In process only: `group_commit` (onEmit queues, durable within a commit) or `strict` (onEmit syncs before returning). */
    durability: z.enum(['group_commit', 'strict']),
    /** In process only: what a failed write does — `error` (next onEmit/forceFlush throws), `callback`, or `exit`. */
    on_failure: z.enum(['error', 'callback', 'exit']),
    /**
     * The operator's way out after records were lost below the WAL's high-water mark: the open goes on when
     * the mark is at most this number (docs/recovery.md §9). Unset by default: such an open fails.
     */
    accept_lost_records_through_seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .superRefine((c, ctx) => {
    // The WAL's own checks, made at load time so `validate` reports them with their YAML path.
    if (c.segment_bytes_max < c.payload_bytes_max + SEGMENT_HEADER_BYTES + FRAME_OVERHEAD_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['segment_bytes_max'],
        message: `must hold at least one record of payload_bytes_max (${c.payload_bytes_max}) plus ${SEGMENT_HEADER_BYTES + FRAME_OVERHEAD_BYTES} bytes of framing`,
      });
    }
    if (c.queue_bytes_max < c.payload_bytes_max + FRAME_OVERHEAD_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['queue_bytes_max'],
        message: `must hold at least one record of payload_bytes_max (${c.payload_bytes_max})`,
      });
    }
  });

export type AuditWalConfig = z.infer<typeof auditWalConfigSchema>;

export function createDefaultAuditWalConfig(): AuditWalConfig {
  return {
    directory: './otel-audit-data',
    sync_policy: WAL_DEFAULTS.syncPolicy,
    commit_delay_ms: WAL_DEFAULTS.commitDelayMs,
    commits_in_flight_max: WAL_DEFAULTS.commitsInFlightMax,
    segment_bytes_max: WAL_DEFAULTS.segmentBytesMax,
    payload_bytes_max: WAL_DEFAULTS.payloadBytesMax,
    queue_records_max: WAL_DEFAULTS.queueRecordsMax,
    queue_bytes_max: WAL_DEFAULTS.queueBytesMax,
    when_queue_full: WAL_DEFAULTS.whenQueueFull,
    preallocate: WAL_DEFAULTS.preallocate,
    verify_on_open: WAL_DEFAULTS.verifyOnOpen,
    high_water_mark_interval_ms: WAL_DEFAULTS.highWaterMarkIntervalMs,
    durability: 'group_commit',
    on_failure: 'error',
  };
}
