/**
 * Turns an `audit_mask` configuration into a `CompiledMask`: the scanners of
 * the enabled detectors, an action per detector name, the key lists. Problems
 * (bad custom patterns, names, hash key settings) go to `problems` with their
 * path below the component, so the schema reports them at the exact YAML
 * path and `create` refuses a configuration that skipped validation. No side
 * effects: the hash key is read later (hashKey.ts).
 */
import type { ProblemList } from '../filter/match/problems.ts';
import type { AuditMaskConfig } from './config.ts';
import { builtinScanners, VALUE_DETECTORS } from './detectors/builtin.ts';
import type { CustomPattern } from './detectors/customScanner.ts';
import { KeyMatcher } from './engine/KeyMatcher.ts';
import { compileLinearRegex } from './engine/linearRegex.ts';
import type { MaskAction } from './engine/MaskAction.ts';
import { StringScanner } from './engine/StringScanner.ts';
import type { Scanner } from './engine/Span.ts';
import type { MaskPlan } from './engine/ValueMasker.ts';

/** Detector names the engine itself reports (not configurable). */
export const LIMIT_TYPES = ['blocked_key', 'scan_limit', 'depth_limit', 'pattern_limit'] as const;

export interface CompiledMask {
  readonly plan: MaskPlan;
  readonly summary: 'silent' | 'info' | 'debug';
  readonly applyToBody: boolean;
  readonly applyToAttributes: boolean;
  readonly scanBytesMax: number;
  /** The per-record budget of custom-pattern work (engine/PatternWork.ts). */
  readonly patternWorkMax: number;
  /** Where the hash key comes from, when a `hash` action is configured. */
  readonly hashKey: { readonly env: string } | { readonly file: string } | undefined;
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

export function compileMask(config: AuditMaskConfig, problems: ProblemList): CompiledMask {
  const template = (type: string) => config.redaction_template.replaceAll('{type}', type);
  const actions = new Map<string, MaskAction>();
  const enabled = new Set<string>();
  let hashUsed = false;
  for (const [name, detector] of Object.entries(config.detectors)) {
    actions.set(name, {
      action: detector.action,
      keepLast: detector.keep_last,
      replacement: detector.replacement === '' ? template(name) : detector.replacement,
    });
    if (!detector.enabled) continue;
    enabled.add(name);
    hashUsed ||= detector.action === 'hash';
  }
  for (const type of LIMIT_TYPES)
    actions.set(type, { action: 'redact', keepLast: 0, replacement: template(type) });

  const sensitiveKeys = new KeyMatcher(config.sensitive_keys);
  const scanners: Scanner[] = builtinScanners(enabled, sensitiveKeys);
  const customs: CustomPattern[] = [];
  const names = new Set<string>([...VALUE_DETECTORS, 'sensitive_key', ...LIMIT_TYPES]);
  config.custom_patterns.forEach((custom, i) => {
    const path = ['custom_patterns', i];
    if (!NAME.test(custom.name)) {
      problems.add([...path, 'name'], 'must be lower case letters, digits and "_", starting with a letter');
    } else if (names.has(custom.name)) {
      problems.add([...path, 'name'], `"${custom.name}" is already a detector name`);
    }
    names.add(custom.name);
    const compiled = compileLinearRegex(custom.pattern);
    if (!compiled.ok) problems.add([...path, 'pattern'], compiled.message);
    else customs.push({ type: custom.name, regex: compiled.regex });
    actions.set(custom.name, {
      action: custom.action,
      keepLast: custom.keep_last,
      replacement: custom.replacement === '' ? template(custom.name) : custom.replacement,
    });
    hashUsed ||= custom.action === 'hash';
  });

  const { env, file } = config.hash_key;
  if (env !== '' && file !== '') problems.add(['hash_key'], 'set one of "env" and "file", not both');
  if (hashUsed && env === '' && file === '') {
    problems.add(['hash_key'], 'a detector uses action "hash": set hash_key::env or hash_key::file');
  }
  return {
    plan: {
      scanner: new StringScanner(scanners, customs),
      actions,
      sensitiveKeys: enabled.has('sensitive_key') && !sensitiveKeys.empty ? sensitiveKeys : undefined,
      blockKeys: new KeyMatcher(config.block_keys),
      allowKeys: new Set(config.allow_keys.map((k) => k.toLowerCase())),
      depthMax: config.depth_max,
    },
    summary: config.summary,
    applyToBody: config.apply_to.body,
    applyToAttributes: config.apply_to.attributes,
    scanBytesMax: config.scan_bytes_max,
    patternWorkMax: config.pattern_work_max,
    hashKey: !hashUsed ? undefined : env !== '' ? { env } : file !== '' ? { file } : undefined,
  };
}
