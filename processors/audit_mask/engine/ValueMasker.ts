/**
 * Masks one record's values, at any depth, copy-on-write: an unchanged value
 * is returned as `KEEP` (the caller writes nothing back), a changed one as a
 * new value, and `DROP` asks the caller to remove the entry holding it.
 *
 * At every key (a record attribute or a map entry in the body or in an
 * attribute), in this order:
 * 1. `allow_keys` (exact, case-insensitive): the value is not touched at all;
 * 2. `block_keys` (by words): the entry is removed (`blocked_key`);
 * 3. `sensitive_keys` (by words): the whole value is masked (`sensitive_key`);
 * 4. otherwise the value is scanned: strings by the detectors; arrays and
 *    maps element by element; ints of 13+ digits as their decimal text.
 * Doubles, booleans, bytes and the empty value are not scanned. Containers
 * deeper than `depth_max` are replaced by a redaction (`depth_limit`);
 * strings past the record's scan budget likewise (`scan_limit`), and strings
 * the record's custom-pattern work budget cannot pay for (`pattern_limit`).
 */
import { assert } from '../../../src/errors.ts';
import { asString } from '../../filter/match/anyValueText.ts';
import { isKeyValueList, type AnyValue, type KeyValue } from '../../../src/record/AnyValue.ts';
import type { KeyMatcher } from './KeyMatcher.ts';
import { replacementFor, type MaskAction } from './MaskAction.ts';
import type { MaskTally } from './MaskTally.ts';
import type { PatternWork } from './PatternWork.ts';
import type { ScanBudget } from './ScanBudget.ts';
import { PATTERN_LIMIT, type StringScanner } from './StringScanner.ts';

export const KEEP: unique symbol = Symbol('keep');
export const DROP: unique symbol = Symbol('drop');
export type Outcome = AnyValue | typeof KEEP | typeof DROP;

/** The compiled, immutable part: what to detect and what to do (compileMask.ts). */
export interface MaskPlan {
  readonly scanner: StringScanner;
  /** Per detector name, including `sensitive_key`, `blocked_key`, `scan_limit`, `depth_limit`. */
  readonly actions: ReadonlyMap<string, MaskAction>;
  /** Undefined when the `sensitive_key` detector is disabled or the list is empty. */
  readonly sensitiveKeys: KeyMatcher | undefined;
  readonly blockKeys: KeyMatcher;
  /** Lower-cased. */
  readonly allowKeys: ReadonlySet<string>;
  readonly depthMax: number;
}

/** Ints with at least this many digits are scanned (the shortest card number has 13). */
const INT_SCAN_MIN = 10n ** 12n;

export class ValueMasker {
  private readonly plan: MaskPlan;
  private readonly hashKey: Uint8Array | undefined;
  private readonly budget: ScanBudget;
  private readonly work: PatternWork;
  private readonly tally: MaskTally;
  private readonly paths: boolean;

  constructor(o: {
    plan: MaskPlan;
    hashKey: Uint8Array | undefined;
    budget: ScanBudget;
    work: PatternWork;
    tally: MaskTally;
  }) {
    this.plan = o.plan;
    this.hashKey = o.hashKey;
    this.budget = o.budget;
    this.work = o.work;
    this.tally = o.tally;
    this.paths = o.tally.paths !== undefined;
  }

  /** A value under `key` (`path` is the entry's path, used for summary `debug`). */
  maskEntry(key: string, value: AnyValue, depth: number, path: string): Outcome {
    const { allowKeys, blockKeys, sensitiveKeys } = this.plan;
    if (allowKeys.size > 0 && allowKeys.has(key.toLowerCase())) return KEEP;
    if (blockKeys.matches(key)) {
      this.tally.add('blocked_key', path);
      return DROP;
    }
    if (sensitiveKeys?.matches(key) === true) return this.maskWhole('sensitive_key', value, path);
    return this.maskValue(value, depth, path, true);
  }

  /** `keyed`: the value sits directly under a key, so `drop` can remove it. */
  maskValue(value: AnyValue, depth: number, path: string, keyed: boolean): Outcome {
    switch (typeof value) {
      case 'string':
        return this.maskString(value, path, keyed);
      case 'bigint':
        if (value < INT_SCAN_MIN && value > -INT_SCAN_MIN) return KEEP;
        return this.maskString(value.toString(), path, keyed);
      case 'object':
        if (value === null || value instanceof Uint8Array) return KEEP;
        if (depth > this.plan.depthMax) return this.limit('depth_limit', path);
        return Array.isArray(value)
          ? this.maskArray(value, depth, path)
          : this.maskMap(value.values, depth, path);
      default:
        return KEEP;
    }
  }

  private maskArray(values: readonly AnyValue[], depth: number, path: string): Outcome {
    let copy: AnyValue[] | undefined;
    for (let i = 0; i < values.length; i++) {
      const element = values[i] as AnyValue;
      const outcome = this.maskValue(element, depth + 1, this.paths ? `${path}[${i}]` : '', false);
      if (outcome === KEEP) continue;
      assert(outcome !== DROP, 'an array element is not keyed and cannot be dropped');
      copy ??= values.slice();
      copy[i] = outcome;
    }
    return copy ?? KEEP;
  }

  private maskMap(entries: readonly KeyValue[], depth: number, path: string): Outcome {
    let copy: KeyValue[] | undefined;
    for (let i = 0; i < entries.length; i++) {
      const { key, value } = entries[i] as KeyValue;
      const outcome = this.maskEntry(
        key,
        value,
        depth + 1,
        this.paths ? `${path}[${JSON.stringify(key)}]` : '',
      );
      if (outcome === KEEP) {
        copy?.push({ key, value });
        continue;
      }
      copy ??= entries.slice(0, i).map((kv) => ({ key: kv.key, value: kv.value }));
      if (outcome !== DROP) copy.push({ key, value: outcome });
    }
    return copy === undefined ? KEEP : { values: copy };
  }

  private maskString(text: string, path: string, keyed: boolean): Outcome {
    if (text.length === 0) return KEEP;
    // A string known clean (StringScanner's cache) that the budget can pay for whole is kept as it is, as a
    // full scan would keep it, without measuring it again (Buffer.byteLength) or looking it up twice.
    const cleanBytes = this.plan.scanner.cleanBytes(text);
    if (cleanBytes !== undefined && this.budget.takeWhole(cleanBytes)) return KEEP;
    const scannable = this.budget.take(text);
    if (scannable === 0) return this.limit('scan_limit', path);
    const scanned = scannable === text.length ? text : text.slice(0, scannable);
    const spans = this.plan.scanner.scan(scanned, this.work);
    if (spans === PATTERN_LIMIT) return this.limit('pattern_limit', path);
    if (spans.length === 0 && scannable === text.length) return KEEP;
    let drop = false;
    let out = '';
    let at = 0;
    for (const span of spans) {
      const action = this.action(span.type);
      this.tally.add(span.type, path);
      if (action.action === 'drop' && keyed) drop = true;
      // `redact` and `drop` do not read the value: no need to cut it out.
      const raw =
        action.action === 'partial' || action.action === 'hash' ? scanned.slice(span.start, span.end) : '';
      out += scanned.slice(at, span.start) + replacementFor(span.type, raw, action, this.hashKey);
      at = span.end;
    }
    if (drop) return DROP;
    out += scanned.slice(at);
    if (scannable < text.length) out += this.limit('scan_limit', path);
    return out;
  }

  /** The whole value of a sensitive key. An empty value has nothing to hide and is kept. */
  private maskWhole(type: string, value: AnyValue, path: string): Outcome {
    if (value === null || value === '') return KEEP;
    const action = this.action(type);
    this.tally.add(type, path);
    if (action.action === 'drop') return DROP;
    const container = typeof value === 'object' && (Array.isArray(value) || isKeyValueList(value));
    if (action.action === 'partial' && container) return action.replacement;
    return replacementFor(type, asString(value), action, this.hashKey);
  }

  private limit(type: 'scan_limit' | 'depth_limit' | 'pattern_limit', path: string): string {
    this.tally.add(type, path);
    return this.action(type).replacement;
  }

  private action(type: string): MaskAction {
    const action = this.plan.actions.get(type);
    assert(action !== undefined, `no action for detector "${type}"`);
    return action;
  }
}
