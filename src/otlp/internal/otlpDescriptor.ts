/**
 * The OTLP logs schema as a static protobufjs JSON descriptor (no .proto
 * parsing at run time), written from opentelemetry-proto **v1.5.0**:
 * - opentelemetry/proto/common/v1/common.proto
 * - opentelemetry/proto/resource/v1/resource.proto
 * - opentelemetry/proto/logs/v1/logs.proto
 * - opentelemetry/proto/collector/logs/v1/logs_service.proto
 *
 * Field names are the lowerCamelCase JSON names (protobufjs uses them as
 * property names; they never reach the wire). `severity_number` is declared
 * `int32` instead of the `SeverityNumber` enum: identical on the wire, and it
 * keeps unknown values without enum handling. Fields added after v1.5.0
 * (e.g. `Resource.entity_refs`) are unknown here and skipped on decode.
 * Every message is proto3 (implicit presence; oneof members have presence).
 */
import type { INamespace } from 'protobufjs/light.js';

const proto3 = 'proto3';
const KEY_VALUE = 'opentelemetry.proto.common.v1.KeyValue';

export const OTLP_LOGS_DESCRIPTOR: INamespace = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: {
                      edition: proto3,
                      oneofs: {
                        value: {
                          oneof: [
                            'stringValue',
                            'boolValue',
                            'intValue',
                            'doubleValue',
                            'arrayValue',
                            'kvlistValue',
                            'bytesValue',
                          ],
                        },
                      },
                      fields: {
                        stringValue: { type: 'string', id: 1 },
                        boolValue: { type: 'bool', id: 2 },
                        intValue: { type: 'int64', id: 3 },
                        doubleValue: { type: 'double', id: 4 },
                        arrayValue: { type: 'ArrayValue', id: 5 },
                        kvlistValue: { type: 'KeyValueList', id: 6 },
                        bytesValue: { type: 'bytes', id: 7 },
                      },
                    },
                    ArrayValue: {
                      edition: proto3,
                      fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } },
                    },
                    KeyValueList: {
                      edition: proto3,
                      fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } },
                    },
                    KeyValue: {
                      edition: proto3,
                      fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } },
                    },
                    InstrumentationScope: {
                      edition: proto3,
                      fields: {
                        name: { type: 'string', id: 1 },
                        version: { type: 'string', id: 2 },
                        attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
                        droppedAttributesCount: { type: 'uint32', id: 4 },
                      },
                    },
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: {
                    Resource: {
                      edition: proto3,
                      fields: {
                        attributes: { rule: 'repeated', type: KEY_VALUE, id: 1 },
                        droppedAttributesCount: { type: 'uint32', id: 2 },
                      },
                    },
                  },
                },
              },
            },
            logs: {
              nested: {
                v1: {
                  nested: {
                    LogsData: {
                      edition: proto3,
                      fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } },
                    },
                    ResourceLogs: {
                      edition: proto3,
                      reserved: [[1000, 1000]],
                      fields: {
                        resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
                        scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 },
                        schemaUrl: { type: 'string', id: 3 },
                      },
                    },
                    ScopeLogs: {
                      edition: proto3,
                      fields: {
                        scope: { type: 'opentelemetry.proto.common.v1.InstrumentationScope', id: 1 },
                        logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 },
                        schemaUrl: { type: 'string', id: 3 },
                      },
                    },
                    LogRecord: {
                      edition: proto3,
                      reserved: [[4, 4]],
                      fields: {
                        timeUnixNano: { type: 'fixed64', id: 1 },
                        severityNumber: { type: 'int32', id: 2 },
                        severityText: { type: 'string', id: 3 },
                        body: { type: 'opentelemetry.proto.common.v1.AnyValue', id: 5 },
                        attributes: { rule: 'repeated', type: KEY_VALUE, id: 6 },
                        droppedAttributesCount: { type: 'uint32', id: 7 },
                        flags: { type: 'fixed32', id: 8 },
                        traceId: { type: 'bytes', id: 9 },
                        spanId: { type: 'bytes', id: 10 },
                        observedTimeUnixNano: { type: 'fixed64', id: 11 },
                        eventName: { type: 'string', id: 12 },
                      },
                    },
                  },
                },
              },
            },
            collector: {
              nested: {
                logs: {
                  nested: {
                    v1: {
                      nested: {
                        ExportLogsServiceRequest: {
                          edition: proto3,
                          fields: {
                            resourceLogs: {
                              rule: 'repeated',
                              type: 'opentelemetry.proto.logs.v1.ResourceLogs',
                              id: 1,
                            },
                          },
                        },
                        ExportLogsServiceResponse: {
                          edition: proto3,
                          fields: { partialSuccess: { type: 'ExportLogsPartialSuccess', id: 1 } },
                        },
                        ExportLogsPartialSuccess: {
                          edition: proto3,
                          fields: {
                            rejectedLogRecords: { type: 'int64', id: 1 },
                            errorMessage: { type: 'string', id: 2 },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
