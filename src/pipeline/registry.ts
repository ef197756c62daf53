/**
 * The built-in components. Adding a component: its folder, and one line here.
 */
import { createComponentCatalog, type ComponentCatalog } from '../../config/componentSchema.ts';
import { auditWalExporterFactory } from '../../exporters/audit_wal/factory.ts';
import { auditSdkReceiverFactory } from '../../receivers/audit_sdk/factory.ts';
import { otlpReceiverFactory } from '../../receivers/otlp/factory.ts';
import { bearerTokenAuthExtensionFactory } from '../../extensions/bearertokenauth/factory.ts';
import { healthCheckExtensionFactory } from '../../extensions/health_check/factory.ts';
import { attributesProcessorFactory } from '../../processors/attributes/factory.ts';
import { auditChainProcessorFactory } from '../../processors/audit_chain/factory.ts';
import { auditEncryptProcessorFactory } from '../../processors/audit_encrypt/factory.ts';
import { auditPseudonymizeProcessorFactory } from '../../processors/audit_pseudonymize/factory.ts';
import { auditMaskProcessorFactory } from '../../processors/audit_mask/factory.ts';
import { auditSignProcessorFactory } from '../../processors/audit_sign/factory.ts';
import { batchProcessorFactory } from '../../processors/batch/factory.ts';
import { filterProcessorFactory } from '../../processors/filter/factory.ts';
import { redactionProcessorFactory } from '../../processors/redaction/factory.ts';
import type { AnyFactory } from './factories.ts';

export const BUILTIN_FACTORIES: readonly AnyFactory[] = [
  // receivers
  auditSdkReceiverFactory,
  otlpReceiverFactory,
  // processors
  attributesProcessorFactory,
  auditChainProcessorFactory,
  auditEncryptProcessorFactory,
  auditPseudonymizeProcessorFactory,
  auditMaskProcessorFactory,
  auditSignProcessorFactory,
  batchProcessorFactory,
  filterProcessorFactory,
  redactionProcessorFactory,
  // exporters
  auditWalExporterFactory,
  // extensions
  bearerTokenAuthExtensionFactory,
  healthCheckExtensionFactory,
];

export interface FactoryRegistry {
  readonly catalog: ComponentCatalog;
  readonly factories: readonly AnyFactory[];
  find(kind: AnyFactory['kind'], type: string): AnyFactory | undefined;
}

export function createFactoryRegistry(factories: readonly AnyFactory[] = BUILTIN_FACTORIES): FactoryRegistry {
  const catalog = createComponentCatalog(factories);
  return {
    catalog,
    factories,
    find: (kind, type) => catalog.lookup(kind, type) as AnyFactory | undefined,
  };
}
