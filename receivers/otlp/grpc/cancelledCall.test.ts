/**
 * A gRPC call its client gives up on (deadline) while the handler decompresses it: its records are not
 * handed to the pipeline — no one would be told they are durable, and the client's retry brings them again
 * (written, they would be a duplicate). inflateRequest is held open by a gate so that the deadline passes
 * while it runs, deterministically.
 */
import { describe, expect, it, vi } from 'vitest';
import { createAuditRecord } from '../../../src/record/AuditRecord.ts';
import { encodeOtlpLogsProtobuf } from '../../../src/otlp/protobufCodec.ts';
import { exportRaw } from '../../../test/helpers/rawOtlpGrpc.ts';
import { recordingReceiver } from '../../../test/helpers/recordingReceiver.ts';
import type * as InflateModule from './inflateRequest.ts';

const gate = vi.hoisted(() => ({ wait: undefined as Promise<void> | undefined, entered: 0 }));
vi.mock('./inflateRequest.ts', async (importOriginal) => {
  const orig = await importOriginal<typeof InflateModule>();
  return {
    ...orig,
    inflateRequest: async (...args: Parameters<typeof orig.inflateRequest>) => {
      gate.entered++;
      if (gate.wait !== undefined) await gate.wait;
      return orig.inflateRequest(...args);
    },
  };
});

describe('gRPC: a call cancelled while it is decompressed', () => {
  it('is not handed to the pipeline; the next call is', async () => {
    const { receiver, seen } = recordingReceiver('grpc');
    await receiver.start();
    const target = `http://${receiver.endpoints.grpc ?? ''}`;
    const body = Buffer.from(encodeOtlpLogsProtobuf([createAuditRecord({ body: 'r' })]));
    const gzip = { channelOptions: { 'grpc.default_compression_algorithm': 2 } };
    try {
      let open!: () => void;
      gate.wait = new Promise<void>((resolve) => (open = resolve));
      const cut = await exportRaw(target, body, { ...gzip, deadlineMs: 300 });
      expect(cut?.code).toBe(4); // DEADLINE_EXCEEDED, seen by the client
      expect(gate.entered).toBe(1); // the handler was decompressing when the deadline passed
      // the server learns it too: from the call's own deadline (grpc-timeout) and the client's RST_STREAM
      await new Promise((resolve) => setTimeout(resolve, 300));
      gate.wait = undefined;
      open();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen).toHaveLength(0);
      expect(await exportRaw(target, body, gzip)).toBeNull();
      expect(seen).toHaveLength(1);
    } finally {
      await receiver.shutdown(2_000);
    }
  });
});
