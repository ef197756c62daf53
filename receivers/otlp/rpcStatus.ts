/**
 * `google.rpc.Status` (with `google.rpc.RetryInfo` in `details`) and the
 * OTLP `ExportLogsServiceResponse`, in protobuf and in OTLP/JSON — the bodies
 * of OTLP/HTTP answers and the gRPC `grpc-status-details-bin` trailer.
 */
import protobuf from 'protobufjs/light.js';

const root = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            RetryInfo: { fields: { retry_delay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
    response: {
      nested: {
        ExportLogsServiceResponse: {
          fields: { partial_success: { type: 'ExportLogsPartialSuccess', id: 1 } },
        },
        ExportLogsPartialSuccess: {
          fields: {
            rejected_log_records: { type: 'int64', id: 1 },
            error_message: { type: 'string', id: 2 },
          },
        },
      },
    },
  },
});
const StatusType = root.lookupType('google.rpc.Status');
const RetryInfoType = root.lookupType('google.rpc.RetryInfo');
const ResponseType = root.lookupType('response.ExportLogsServiceResponse');

export const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/** gRPC status codes used here (numbering shared by google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
  UNAVAILABLE: 14,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
} as const;

export interface RpcStatus {
  readonly code: number;
  readonly message: string;
  readonly retryDelayMs?: number;
}

export function encodeStatusProtobuf(s: RpcStatus): Uint8Array {
  const details =
    s.retryDelayMs === undefined
      ? []
      : [
          {
            type_url: RETRY_INFO_TYPE_URL,
            value: RetryInfoType.encode({
              retry_delay: {
                seconds: Math.floor(s.retryDelayMs / 1000),
                nanos: (s.retryDelayMs % 1000) * 1e6,
              },
            }).finish(),
          },
        ];
  return StatusType.encode({ code: s.code, message: s.message, details }).finish();
}

export function encodeStatusJson(s: RpcStatus): string {
  const details =
    s.retryDelayMs === undefined
      ? []
      : [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${(s.retryDelayMs / 1000).toFixed(3)}s` }];
  return JSON.stringify({ code: s.code, message: s.message, details });
}

/** Decodes a Status (for tests and for clients of the gRPC trailer). */
export function decodeStatusProtobuf(bytes: Uint8Array): {
  code: number;
  message: string;
  retryDelayMs?: number;
} {
  const s = StatusType.toObject(StatusType.decode(bytes), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: Array<{ type_url: string; value: Uint8Array }>;
  };
  const retry = s.details.find((d) => d.type_url === RETRY_INFO_TYPE_URL);
  if (!retry) return { code: s.code, message: s.message };
  const r = RetryInfoType.toObject(RetryInfoType.decode(retry.value), { longs: Number, defaults: true }) as {
    retry_delay?: { seconds: number; nanos: number };
  };
  const d = r.retry_delay ?? { seconds: 0, nanos: 0 };
  return { code: s.code, message: s.message, retryDelayMs: d.seconds * 1000 + Math.round(d.nanos / 1e6) };
}

export interface PartialSuccess {
  readonly rejectedLogRecords: number;
  readonly errorMessage: string;
}

export function encodeResponseProtobuf(partial?: PartialSuccess): Uint8Array {
  if (!partial) return new Uint8Array(0);
  return ResponseType.encode({
    partial_success: {
      rejected_log_records: partial.rejectedLogRecords,
      error_message: partial.errorMessage,
    },
  }).finish();
}

/** Reads an `ExportLogsServiceResponse` (for clients and tests); no partial_success: undefined. */
export function decodeResponseProtobuf(bytes: Uint8Array): PartialSuccess | undefined {
  const r = ResponseType.toObject(ResponseType.decode(bytes), { longs: Number, defaults: true }) as {
    partial_success?: { rejected_log_records: number; error_message: string } | null;
  };
  const p = r.partial_success;
  return p === undefined || p === null
    ? undefined
    : { rejectedLogRecords: p.rejected_log_records, errorMessage: p.error_message };
}

export function encodeResponseJson(partial?: PartialSuccess): string {
  if (!partial) return '{}';
  return JSON.stringify({
    partialSuccess: {
      rejectedLogRecords: String(partial.rejectedLogRecords),
      errorMessage: partial.errorMessage,
    },
  });
}
