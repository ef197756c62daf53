/**
 * The diagnostic attributes the Collector's `redaction` processor writes,
 * with its names and semantics (`addMetaAttrs`): for each list of keys that
 * is not empty, with `summary: debug` the keys — merged with any value
 * already there, sorted, joined by `,` — and with `info` or `debug` the count
 * (added to any count already there). Ignored keys only ever get a count.
 */
import type { MutableLogRecordView } from '../../src/record/MutableLogRecordView.ts';

export const SUMMARY_NAMES = {
  attributes: {
    redacted: ['redaction.redacted.keys', 'redaction.redacted.count'],
    masked: ['redaction.masked.keys', 'redaction.masked.count'],
    allowed: ['redaction.allowed.keys', 'redaction.allowed.count'],
    ignored: ['', 'redaction.ignored.count'],
  },
  body: {
    redacted: ['redaction.body.redacted.keys', 'redaction.body.redacted.count'],
    masked: ['redaction.body.masked.keys', 'redaction.body.masked.count'],
    allowed: ['redaction.body.allowed.keys', 'redaction.body.allowed.count'],
    ignored: ['', 'redaction.body.ignored.count'],
  },
} as const;

export const SUMMARY_KEYS: readonly string[] = Object.values(SUMMARY_NAMES)
  .flatMap((group) => Object.values(group).flat())
  .filter((name) => name !== '');

export interface KeyLists {
  readonly redacted: string[];
  readonly masked: string[];
  readonly allowed: string[];
  readonly ignored: string[];
}

export const emptyKeyLists = (): KeyLists => ({ redacted: [], masked: [], allowed: [], ignored: [] });

export function writeRedactionSummary(
  record: MutableLogRecordView,
  summary: string,
  names: (typeof SUMMARY_NAMES)[keyof typeof SUMMARY_NAMES],
  lists: KeyLists,
): void {
  for (const which of ['redacted', 'masked', 'allowed', 'ignored'] as const) {
    const keys = lists[which];
    const [keysName, countName] = names[which];
    if (keys.length === 0) continue;
    if (summary === 'debug' && keysName !== '') {
      const existing = record.getAttribute(keysName);
      const all =
        typeof existing === 'string' && existing !== '' ? [...keys, ...existing.split(',')] : [...keys];
      record.setAttribute(keysName, all.sort().join(','));
    }
    if (summary === 'info' || summary === 'debug') {
      const existing = record.getAttribute(countName);
      record.setAttribute(countName, BigInt(keys.length) + (typeof existing === 'bigint' ? existing : 0n));
    }
  }
}
