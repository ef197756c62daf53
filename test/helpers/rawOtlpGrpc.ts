/**
 * A raw OTLP/gRPC logs client for tests that must send bytes the official
 * exporter would never produce (truncated protobuf, hand-made metadata), or
 * read the exact status a call ends with.
 */
import * as grpc from '@grpc/grpc-js';

const LogsServiceClient = grpc.makeGenericClientConstructor(
  {
    Export: {
      path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  },
  'LogsService',
);

type ExportFn = (
  body: Buffer,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, response?: Buffer) => void,
) => void;

export interface RawExportOptions {
  /** Default: insecure. */
  readonly credentials?: grpc.ChannelCredentials;
  readonly channelOptions?: grpc.ChannelOptions;
  /** Sent as `authorization: Bearer <token>`. */
  readonly bearerToken?: string;
  /** Call deadline; default 10 s, so a call the server never answers fails instead of hanging. */
  readonly deadlineMs?: number;
}

/**
 * Sends `body` as one `LogsService/Export` call to `target` (`host:port`,
 * `http://host:port` or `unix:/path`); resolves with the call's error, or
 * null when it ended OK.
 */
export async function exportRaw(
  target: string,
  body: Uint8Array,
  options: RawExportOptions = {},
): Promise<grpc.ServiceError | null> {
  return (await exportRawCall(target, body, options)).error;
}

/** `exportRaw`, also giving the response bytes of a call that ended OK. */
export function exportRawCall(
  target: string,
  body: Uint8Array,
  options: RawExportOptions = {},
): Promise<{ error: grpc.ServiceError | null; response: Buffer | undefined }> {
  const client = new LogsServiceClient(
    target.replace(/^http:\/\//, ''),
    options.credentials ?? grpc.credentials.createInsecure(),
    options.channelOptions,
  );
  const metadata = new grpc.Metadata();
  if (options.bearerToken !== undefined) metadata.set('authorization', `Bearer ${options.bearerToken}`);
  const deadline = Date.now() + (options.deadlineMs ?? 10_000);
  return new Promise((resolve) => {
    (client as unknown as { Export: ExportFn }).Export(
      Buffer.from(body),
      metadata,
      { deadline },
      (err, response) => {
        client.close();
        resolve({ error: err, response });
      },
    );
  });
}
