export { Wal } from './Wal.ts';
export type {
  AppendOptions,
  BatchAppendOptions,
  DeferredBuild,
  DeferredRecord,
  WalSequencer,
  WalStatus,
} from './Wal.ts';
export { WalReader } from './WalReader.ts';
export type { ReadDamage, ReadOptions, TailOptions, WalRecord } from './WalReader.ts';
export { CursorStore } from './CursorStore.ts';
export { WAL_DEFAULTS, resolveWalOptions } from './options.ts';
export type { QueueFullPolicy, SyncPolicy, WalOptions } from './options.ts';
export { recoverWal } from './recover.ts';
export type { Corruption, CorruptionKind, RecoveryReport, TornTail } from './recover.ts';
export { openWalReadOnly } from './readOnly.ts';
export { HIGH_WATER_MARK_FILE, readHighWaterMark } from './HighWaterMark.ts';
export type { HighWaterMark } from './HighWaterMark.ts';
export { WalRecordsLostError } from './WalRecordsLostError.ts';
export type { RecordsLost } from './WalRecordsLostError.ts';
export type { FileHandle, FileSystem, OpenMode } from './fs/FileSystem.ts';
export { NodeFileSystem, nodeFileSystem } from './fs/NodeFileSystem.ts';
export { FrameType } from './format.ts';
