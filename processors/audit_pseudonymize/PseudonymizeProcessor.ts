/**
 * `audit_pseudonymize`: replaces chosen attributes and body fields by keyed
 * pseudonym tokens (src/privacy/pseudonym.ts), reversible ones when reversal
 * keys are configured. Keys are loaded at start; `process` is synchronous and
 * does no I/O. A value that already is a token of one of the configured keys
 * is left alone, so records that pass two such processors (agent and gateway)
 * keep one token.
 */
import { OtelAuditError } from '../../src/errors.ts';
import { KeyInvalidError } from '../../src/integrity/sign/errors.ts';
import type { CreateSettings } from '../../src/pipeline/factories.ts';
import { Lifecycle } from '../../src/pipeline/lifecycle.ts';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import { keyProviders } from '../../src/privacy/keyConfig.ts';
import { loadKeyRing } from '../../src/privacy/KeyProvider.ts';
import {
  deriveReversalKey,
  parsePseudonymToken,
  pseudonymToken,
  type ReversalKey,
} from '../../src/privacy/pseudonym.ts';
import { rewriteAttributePath, rewriteBodyPath } from '../../src/privacy/rewriteRecord.ts';
import type { SecretKeyRing } from '../../src/privacy/SecretKey.ts';
import type { AnyValue } from '../../src/record/AnyValue.ts';
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';
import type { AuditPseudonymizeConfig } from './config.ts';

interface LoadedKeys {
  readonly ring: SecretKeyRing;
  readonly reversal: ReversalKey | undefined;
}

export class PseudonymizeProcessor implements RecordProcessor {
  readonly mutates = true;
  private readonly settings: CreateSettings;
  private readonly config: AuditPseudonymizeConfig;
  private readonly lifecycle: Lifecycle;
  private keys: LoadedKeys | undefined;

  constructor(settings: CreateSettings, config: AuditPseudonymizeConfig) {
    this.settings = settings;
    this.config = config;
    this.lifecycle = new Lifecycle(
      () => this.load(),
      async () => {
        this.keys = undefined;
      },
    );
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  shutdown(deadlineMs?: number): Promise<void> {
    return this.lifecycle.shutdown(deadlineMs);
  }

  process(view: MutableLogRecordView): boolean {
    const keys = this.keys;
    if (keys === undefined) throw new OtelAuditError('LIFECYCLE', `${this.settings.id}: not started`);
    const tokenize = (value: AnyValue): AnyValue | undefined => {
      if (typeof value === 'string' && keys.ring.has(parsePseudonymToken(value)?.keyId ?? ''))
        return undefined;
      return pseudonymToken(value, keys.ring.active, keys.reversal);
    };
    for (const path of this.config.attributes) rewriteAttributePath(view, path, tokenize);
    for (const path of this.config.body_paths) rewriteBodyPath(view, path, tokenize);
    return true;
  }

  private async load(): Promise<void> {
    const { id, baseDir, logger } = this.settings;
    const ring = await loadKeyRing(keyProviders(this.config.keys, baseDir), `${id}: pseudonym`);
    let reversal: ReversalKey | undefined;
    if (this.config.reversal_keys.length > 0) {
      const reversalRing = await loadKeyRing(
        keyProviders(this.config.reversal_keys, baseDir),
        `${id}: reversal`,
      );
      const shared = reversalRing.keys.find((k) => ring.has(k.id));
      if (shared !== undefined) {
        throw new KeyInvalidError(
          `${id}: key ${shared.id} is both a pseudonym and a reversal key; use separate keys`,
        );
      }
      reversal = deriveReversalKey(reversalRing.active);
    }
    if (this.config.attributes.length === 0 && this.config.body_paths.length === 0) {
      logger.warn(`${id}: no attributes and no body_paths configured; records pass unchanged`);
    }
    this.keys = { ring, reversal };
  }
}
