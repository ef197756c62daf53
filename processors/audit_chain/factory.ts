/**
 * `audit_chain`: links every record into a hash chain and an RFC 9162
 * Merkle tree, with checkpoints in the WAL. The work happens in the
 * pipeline's `audit_wal` exporters, in WAL order; no processor that can
 * change records may follow it in a pipeline.
 */
import type { ProcessorFactory } from '../../src/pipeline/factories.ts';
import type { WalStageProcessor } from '../../src/pipeline/WalStage.ts';
import {
  AUDIT_CHAIN_TYPE,
  auditChainConfigSchema,
  createDefaultAuditChainConfig,
  type AuditChainConfig,
} from './config.ts';

export const auditChainProcessorFactory: ProcessorFactory<AuditChainConfig> = {
  type: AUDIT_CHAIN_TYPE,
  kind: 'processor',
  configSchema: auditChainConfigSchema,
  createDefaultConfig: createDefaultAuditChainConfig,
  create: (_settings, config): WalStageProcessor => ({
    mutates: false,
    seals: true,
    walStage: {
      kind: 'chain',
      config: {
        streamId: config.stream_id,
        checkpointEveryRecords: config.checkpoint_every_records,
        checkpointEveryMs: config.checkpoint_interval,
      },
    },
    process: () => true,
  }),
};
