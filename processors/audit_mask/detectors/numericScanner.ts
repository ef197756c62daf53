/**
 * The scanner for the digit-led detectors — `credit_card`, `ssn`, `ipv4`,
 * `phone` — in one pass: each numeric cluster (numericClusters.ts) is tried
 * window by window (a run of at most `WINDOW_GROUPS_MAX` consecutive digit
 * groups that starts and ends at a space or the cluster's edge), leftmost
 * first, longest first, and the first detector that accepts a window claims
 * it. Windows and their text are bounded, so the work is linear in the input.
 */
import type { Scanner, Span } from '../engine/Span.ts';
import { cardDigits } from './card.ts';
import { forEachCluster, type Cluster } from './numericClusters.ts';
import { isIpv4 } from './ipv4.ts';
import { isPhone } from './phone.ts';
import { isSsn } from './ssn.ts';

export const NUMERIC_TYPES = ['credit_card', 'ssn', 'ipv4', 'phone'] as const;
export type NumericType = (typeof NUMERIC_TYPES)[number];

const WINDOW_GROUPS_MAX = 6;

export function numericScanner(enabled: ReadonlySet<string>): Scanner | undefined {
  const types = NUMERIC_TYPES.filter((t) => enabled.has(t));
  if (types.length === 0) return undefined;
  const on = {
    card: enabled.has('credit_card'),
    ssn: enabled.has('ssn'),
    ipv4: enabled.has('ipv4'),
    phone: enabled.has('phone'),
  };

  function classify(text: string, start: number, end: number, digits: number, groups: number) {
    const card = on.card && digits >= 14 && digits <= 19;
    const ssn = on.ssn && digits === 9 && groups <= 3;
    const ipv4 = on.ipv4 && groups === 4 && digits <= 12;
    const phone = on.phone && digits >= 8 && digits <= 15;
    if (!card && !ssn && !ipv4 && !phone) return undefined;
    const window = text.slice(start, end);
    if (card && cardDigits(window) !== undefined) return 'credit_card';
    if (ssn && isSsn(window, text.slice(Math.max(0, start - 40), start))) return 'ssn';
    if (ipv4 && isIpv4(window)) return 'ipv4';
    if (phone && isPhone(window, digits)) return 'phone';
    return undefined;
  }

  function scanCluster(text: string, cluster: Cluster, out: Span[]): void {
    const { groups } = cluster;
    const last = groups.length - 1;
    for (let j = 0; j <= last;) {
      const start = windowStart(text, cluster, j);
      let claimed = -1;
      if (start >= 0) {
        for (let k = Math.min(last, j + WINDOW_GROUPS_MAX - 1); k >= j && claimed < 0; k--) {
          if (!validEnd(text, cluster, k) || !standsApart(text, cluster, j, k)) continue;
          let digits = 0;
          for (let g = j; g <= k; g++) digits += (groups[g]?.end ?? 0) - (groups[g]?.start ?? 0);
          const end = groups[k]?.end ?? start;
          const type = classify(text, start, end, digits, k - j + 1);
          if (type !== undefined) {
            out.push({ start, end, type });
            claimed = k;
          }
        }
      }
      j = claimed >= 0 ? claimed + 1 : j + 1;
    }
  }

  const anyDigit = /\d/;
  return {
    types,
    scan(text: string, out: Span[]): void {
      if (anyDigit.test(text)) forEachCluster(text, (cluster) => scanCluster(text, cluster, out));
    },
  };
}

/**
 * A window whose groups are separated by spaces must not be cut out of a
 * longer space-separated run: a neighbouring group of 3+ digits across a space
 * (`9400 1000 0000 0000 0000 00`, a tracking number) means the window is a
 * piece of something else. Short neighbours (`4111 1111 1111 1111 12/27`) and
 * neighbours of a compact window (`4111111111111111 2027`) are fine.
 */
function standsApart(text: string, cluster: Cluster, j: number, k: number): boolean {
  const { groups } = cluster;
  const first = groups[j];
  const last = groups[k];
  if (first === undefined || last === undefined || j === k) return true;
  if (!text.slice(first.end, last.start).includes(' ')) return true;
  const before = groups[j - 1];
  const after = groups[k + 1];
  return (
    (before === undefined || before.end - before.start < 3) &&
    (after === undefined || after.end - after.start < 3)
  );
}

/** Where a window starting at group `j` begins, or -1 when no window may start there. */
function windowStart(text: string, cluster: Cluster, j: number): number {
  if (j === 0) return cluster.start;
  const group = cluster.groups[j];
  const previous = cluster.groups[j - 1];
  if (group === undefined || previous === undefined) return -1;
  const separator = text.slice(previous.end, group.start);
  if (!separator.includes(' ')) return -1;
  return separator.endsWith('(') ? group.start - 1 : group.start;
}

/** True when a window may end after group `k`: the cluster's clean end, or a separator with a space. */
function validEnd(text: string, cluster: Cluster, k: number): boolean {
  const group = cluster.groups[k];
  const next = cluster.groups[k + 1];
  if (group === undefined) return false;
  if (next === undefined) return !cluster.gluedEnd;
  return text.slice(group.end, next.start).includes(' ');
}
