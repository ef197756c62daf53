/**
 * otel-audit's public API. Everything exported here is supported; anything
 * else is internal.
 */

// In process: OpenTelemetry LogRecordProcessors ending in the durable WAL.
export { createAuditLogging } from './inprocess/createAuditLogging.ts';
export type { AuditLogging, AuditLoggingOptions } from './inprocess/createAuditLogging.ts';
export { AuditWriteFailedError } from './inprocess/AuditWriteFailedError.ts';
export type { FailureHandler, FailurePolicy } from './inprocess/SdkWalWriter.ts';

// Errors.
export { OtelAuditError } from './errors.ts';
export type { ErrorCode } from './errors.ts';

// Record model and codecs.
export { createAuditRecord, createAuditResource, createAuditScope } from './record/AuditRecord.ts';
export type { AuditRecord, AuditResource, AuditScope } from './record/AuditRecord.ts';
export type { AnyValue, KeyValue, KeyValueList } from './record/AnyValue.ts';
export { encodeRecord, decodeRecord } from './record/walCodec.ts';
export {
  decodeOtlpLogsJson,
  decodeOtlpLogsProtobuf,
  encodeOtlpLogsJson,
  encodeOtlpLogsProtobuf,
} from './otlp/index.ts';

// Configuration and the service.
export { loadConfig, loadConfigFiles, resolveConfig, ConfigError } from '../config/index.ts';
export type { ConfigSource, ResolvedConfig } from '../config/index.ts';
export { Service } from './pipeline/Service.ts';
export { BUILTIN_FACTORIES, createFactoryRegistry } from './pipeline/registry.ts';
export type { LogBatch, LogsConsumer } from './pipeline/consumer.ts';
export { PermanentError } from './pipeline/consumer.ts';
export type { RecordProcessor } from './pipeline/RecordProcessor.ts';
export type { ExporterFactory, ProcessorFactory, ReceiverFactory } from './pipeline/factories.ts';
export { startServe } from './serve/runServe.ts';

// The write-ahead log.
export { Wal, openWalReadOnly, FrameType, WalRecordsLostError } from './wal/index.ts';
export type { RecoveryReport, WalOptions, WalRecord, WalStatus } from './wal/index.ts';

// Integrity.
export { verifyWal } from './integrity/verify/verifyWal.ts';
export { verifyWalParallel } from './integrity/verify/verifyWalParallel.ts';
export type { ParallelVerifyOptions } from './integrity/verify/verifyWalParallel.ts';
export type { VerifyIssue, VerifyReport } from './integrity/verify/VerifyReport.ts';
export { MerkleTree, verifyConsistency, verifyInclusion } from './integrity/merkle/index.ts';
export { recordHash, canonicalRecordBytes } from './integrity/canonical/index.ts';
export { KeyRing, generateKeyPair, signBytes, verifyBytes } from './integrity/sign/index.ts';
export {
  buildConsistencyProof,
  buildInclusionProof,
  parseProof,
  verifyProof,
  verifyProofDocument,
} from './integrity/proof/index.ts';

// Privacy: key store (crypto-shredding) and value encryption.
export { KeyStore, decryptValue, encryptValue } from './privacy/index.ts';
export type { KeyProvider } from './privacy/index.ts';
