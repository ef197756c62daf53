/**
 * Test fixtures for the configuration layer: small component schemas shaped
 * like the real ones (Collector keys, strict objects, complete defaults). They
 * exist so the loader can be tested without the concrete components; they are
 * not used at run time.
 */
import { z } from 'zod';
import { createComponentCatalog } from '../componentSchema.ts';
import type { ComponentCatalog, ComponentSchema } from '../componentSchema.ts';

const emptyToObject = (value: unknown) => value ?? {};

const grpcServer = z.strictObject({
  endpoint: z.string().default('localhost:4317'),
  max_recv_msg_size_mib: z.number().int().positive().optional(),
});

const httpServer = z.strictObject({
  endpoint: z.string().default('localhost:4318'),
  cors: z.strictObject({ allowed_origins: z.array(z.string()).default([]) }).optional(),
});

export const fakeOtlpReceiver: ComponentSchema = {
  type: 'otlp',
  kind: 'receiver',
  configSchema: z.strictObject({
    protocols: z.strictObject({
      grpc: z.preprocess(emptyToObject, grpcServer).optional(),
      http: z.preprocess(emptyToObject, httpServer).optional(),
    }),
  }),
  createDefaultConfig: () => ({ protocols: {} }),
};

export const fakeBatchProcessor: ComponentSchema = {
  type: 'batch',
  kind: 'processor',
  configSchema: z.strictObject({
    timeout: z.string(),
    send_batch_size: z.number().int().positive(),
  }),
  createDefaultConfig: () => ({ timeout: '200ms', send_batch_size: 8192 }),
};

export const fakeMaskProcessor: ComponentSchema = {
  type: 'audit_mask',
  kind: 'processor',
  configSchema: z.strictObject({
    detectors: z.array(z.enum(['card', 'email', 'phone', 'secret'])),
    action: z.enum(['redact', 'partial', 'hash', 'drop']),
    blocked_keys: z.array(z.string()),
  }),
  createDefaultConfig: () => ({ detectors: ['card', 'email'], action: 'redact', blocked_keys: [] }),
};

export const fakeWalExporter: ComponentSchema = {
  type: 'audit_wal',
  kind: 'exporter',
  configSchema: z.strictObject({
    directory: z.string().min(1),
    sync_policy: z.enum(['fdatasync', 'fsync', 'none']),
    segment_size_mib: z.number().int().positive(),
    group_commit_ms: z.number().int().min(0),
  }),
  createDefaultConfig: () => ({
    directory: 'otel-audit-data/wal',
    sync_policy: 'fdatasync',
    segment_size_mib: 64,
    group_commit_ms: 5,
  }),
};

export const fakeOtlpHttpExporter: ComponentSchema = {
  type: 'otlp_http',
  kind: 'exporter',
  aliases: ['otlphttp'],
  configSchema: z.strictObject({
    endpoint: z.string().min(1),
    headers: z.record(z.string(), z.string()),
    compression: z.enum(['gzip', 'zstd', 'none']),
    timeout: z.string(),
  }),
  createDefaultConfig: () => ({ headers: {}, compression: 'gzip', timeout: '30s' }),
};

export const fakeHealthCheckExtension: ComponentSchema = {
  type: 'health_check',
  kind: 'extension',
  configSchema: z.strictObject({ endpoint: z.string(), path: z.string() }),
  createDefaultConfig: () => ({ endpoint: 'localhost:13133', path: '/' }),
};

export const fakeBearerTokenExtension: ComponentSchema = {
  type: 'bearertokenauth',
  kind: 'extension',
  configSchema: z.strictObject({
    scheme: z.string(),
    token: z.string().optional(),
    filename: z.string().optional(),
  }),
  createDefaultConfig: () => ({ scheme: 'Bearer' }),
};

export const FAKE_COMPONENTS: readonly ComponentSchema[] = [
  fakeOtlpReceiver,
  fakeBatchProcessor,
  fakeMaskProcessor,
  fakeWalExporter,
  fakeOtlpHttpExporter,
  fakeHealthCheckExtension,
  fakeBearerTokenExtension,
];

export function fakeCatalog(): ComponentCatalog {
  return createComponentCatalog(FAKE_COMPONENTS);
}
