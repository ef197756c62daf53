/**
 * The pipeline `otel-audit serve` runs when no `--config` is given: OTLP on
 * loopback, every record durable in `./otel-audit-data` (or
 * `$OTEL_AUDIT_DATA_DIR`). Printed by `otel-audit serve --print-default-config`.
 */
export const DEFAULT_PIPELINE_YAML = `# otel-audit embedded default pipeline
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: \${env:OTEL_AUDIT_GRPC_ENDPOINT:-127.0.0.1:4317}
      http:
        endpoint: \${env:OTEL_AUDIT_HTTP_ENDPOINT:-127.0.0.1:4318}

exporters:
  audit_wal:
    directory: \${env:OTEL_AUDIT_DATA_DIR:-./otel-audit-data}
    sync_policy: fdatasync
    when_queue_full: reject

service:
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [audit_wal]
`;
