import { describe, expect, it } from 'vitest';
import { SPANS_KEPT_MAX, SpanList } from './engine/Span.ts';
import { StringScanner } from './engine/StringScanner.ts';
import { builtinScanners } from './detectors/builtin.ts';
import { KeyMatcher } from './engine/KeyMatcher.ts';
import { DEFAULT_SENSITIVE_KEYS } from './config.ts';

const IP = 'ipv4';

describe('SpanList', () => {
  it('keeps its capacity for typical strings', () => {
    const list = new SpanList();
    for (let i = 0; i < 10; i++) list.push({ start: i, end: i + 1, type: 't' });
    const store = list.items;
    list.clear();
    expect(list.count).toBe(0);
    expect(store.length).toBe(10); // reused, not freed
    list.push({ start: 0, end: 1, type: 'u' });
    expect(list.items[0]).toEqual({ start: 0, end: 1, type: 'u' });
    expect(list.count).toBe(1);
  });

  it('frees the store of a string with more than SPANS_KEPT_MAX spans (no retention after the record)', () => {
    const list = new SpanList();
    for (let i = 0; i < 50_000; i++) list.push({ start: i, end: i + 1, type: 't' });
    list.clear();
    expect(list.count).toBe(0);
    expect(list.items.length).toBeLessThanOrEqual(SPANS_KEPT_MAX);
    list.push({ start: 3, end: 4, type: 'v' });
    expect(list.count).toBe(1);
    expect(list.items[0]).toEqual({ start: 3, end: 4, type: 'v' });
  });

  it("a scanner reused after a string full of matches still finds exactly the next string's spans", () => {
    const scanner = new StringScanner(builtinScanners(new Set([IP]), new KeyMatcher(DEFAULT_SENSITIVE_KEYS)));
    const many = Array.from({ length: 3000 }, (_, i) => `10.0.${i % 250}.${(i * 7) % 250}`).join(' ');
    const first = scanner.scan(many);
    expect(Array.isArray(first) && first.length).toBe(3000);
    expect(scanner.scan('from 192.168.1.20 ok')).toEqual([{ start: 5, end: 17, type: IP }]);
  });
});
