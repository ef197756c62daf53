/**
 * The scanner for prefix-led secrets — JWTs, private keys, cloud and SaaS
 * credentials, bearer tokens. One pre-check over the string looks for any of
 * the enabled detectors' literal triggers (`eyJ`, `-----BEGIN`, `AKIA`,
 * `ghp_`, ...); only a string that has one is searched further, and only by
 * the detectors whose trigger it contains. Most strings pay for one regex
 * test.
 */
import type { Scanner, SpanSink } from '../engine/Span.ts';
import { CLASS_ALPHA } from './chars.ts';
import { CLOUD_KEY_RULES, findRule } from './cloudKeys.ts';
import { findJwts } from './jwt.ts';
import { findPrivateKeys } from './privateKey.ts';

interface Finder {
  readonly type: string;
  readonly triggers: readonly string[];
  find(text: string, out: SpanSink): void;
}

const FINDERS: readonly Finder[] = [
  { type: 'private_key', triggers: ['-----BEGIN '], find: findPrivateKeys },
  { type: 'jwt', triggers: ['eyJ'], find: findJwts },
  ...CLOUD_KEY_RULES.map((rule) => ({
    type: rule.type,
    triggers: rule.triggers,
    find: (text: string, out: SpanSink) => findRule(rule, text, out),
  })),
];

export const SECRET_TYPES: readonly string[] = FINDERS.map((f) => f.type);

export function secretScanner(enabled: ReadonlySet<string>): Scanner | undefined {
  const finders = FINDERS.filter((f) => enabled.has(f.type));
  if (finders.length === 0) return undefined;
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const anyTrigger = new RegExp(finders.flatMap((f) => f.triggers.map(escape)).join('|'));
  return {
    types: finders.map((f) => f.type),
    requires: CLASS_ALPHA, // every trigger has a letter
    scan(text: string, out: SpanSink): void {
      if (!anyTrigger.test(text)) return;
      for (const finder of finders) {
        if (finder.triggers.some((t) => text.includes(t))) finder.find(text, out);
      }
    },
  };
}
