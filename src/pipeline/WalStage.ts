/**
 * Processors whose work must happen where records get their place in the
 * log: the hash chain and signing. In a pipeline they mark the point after
 * which records may not change (`seals`); their work is done by every
 * `audit_wal` exporter of the pipeline as it writes, in WAL order.
 */
import type { RecordProcessor } from './RecordProcessor.ts';

export interface ChainStageConfig {
  /** Empty: created once per WAL and kept in `<wal>/stream_id`. */
  readonly streamId: string;
  readonly checkpointEveryRecords: number;
  readonly checkpointEveryMs: number;
}

export interface SignStageConfig {
  readonly algorithm: string;
  /** Loads the key at start (errors are typed and name the source). */
  readonly loadKey: () => {
    readonly algorithm: string;
    readonly keyId: string;
    sign(data: Uint8Array): Uint8Array;
  };
  readonly perRecord: boolean;
  /** Directory to write each durable checkpoint to (publication outside the WAL); empty for none. */
  readonly publishDir: string;
}

export type WalStage =
  | { readonly kind: 'chain'; readonly config: ChainStageConfig }
  | { readonly kind: 'sign'; readonly config: SignStageConfig };

export interface WalStageProcessor extends RecordProcessor {
  readonly seals: true;
  readonly walStage: WalStage;
}

export function isWalStageProcessor(p: RecordProcessor): p is WalStageProcessor {
  return (p as Partial<WalStageProcessor>).walStage !== undefined;
}

/** Accepted by exporters that can do the WAL-stage work. */
export interface WalStageHost {
  configureWalStages(stages: readonly WalStage[]): void;
}

export function isWalStageHost(e: unknown): e is WalStageHost {
  return typeof (e as Partial<WalStageHost>).configureWalStages === 'function';
}
