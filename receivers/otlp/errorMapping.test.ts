import { describe, expect, it } from 'vitest';
import { ExporterFailedError } from '../../src/pipeline/ExporterFailedError.ts';
import { WalQueueFullError } from '../../src/errors.ts';
import { mapPipelineError, RETRY_AFTER_MS } from './errorMapping.ts';
import { GrpcCode } from './rpcStatus.ts';

describe('mapPipelineError', () => {
  it("answers an exporter's untyped failure (INTERNAL) 503 / UNAVAILABLE: the sender keeps the records and retries", () => {
    const mapped = mapPipelineError(
      new ExporterFailedError({ exporterId: 'audit_wal/x', cause: new TypeError('boom') }),
    );
    expect(mapped).toMatchObject({
      httpStatus: 503,
      code: GrpcCode.UNAVAILABLE,
      retryDelayMs: RETRY_AFTER_MS.unavailable,
    });
    expect(mapped.message).toContain('exporter "audit_wal/x" failed (a bug): TypeError: boom');
  });

  it('answers a full WAL queue 429 / RESOURCE_EXHAUSTED with the queue-full delay', () => {
    const mapped = mapPipelineError(new WalQueueFullError('queue full'));
    expect(mapped).toMatchObject({ httpStatus: 429, code: GrpcCode.RESOURCE_EXHAUSTED });
    expect(mapped.retryDelayMs).toBe(RETRY_AFTER_MS.queueFull);
  });
});
