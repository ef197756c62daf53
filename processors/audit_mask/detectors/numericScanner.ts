/**
 * The scanner for the digit-led detectors — `credit_card`, `ssn`, `ipv4`,
 * `phone` — in one pass: each numeric cluster (numericClusters.ts) is tried
 * window by window (a run of at most `WINDOW_GROUPS_MAX` consecutive digit
 * groups that starts and ends at a space or the cluster's edge), leftmost
 * first, longest first, and the first detector that accepts a window claims
 * it. Windows and their text are bounded, so the work is linear in the input.
 */
import type { Scanner, SpanSink } from '../engine/Span.ts';
import { cardDigits } from './card.ts';
import { CLASS_DIGIT } from './chars.ts';
import { Cluster, readNextCluster } from './numericClusters.ts';
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
  const cluster = new Cluster();

  function classify(text: string, start: number, end: number, digits: number, groups: number) {
    const card = on.card && digits >= 14 && digits <= 19;
    const ssn = on.ssn && digits === 9 && groups <= 3;
    const ipv4 = on.ipv4 && groups === 4 && digits <= 12;
    const phone = on.phone && digits >= 8 && digits <= 15;
    if (!card && !ssn && !ipv4 && !phone) return undefined;
    // IPv4 is checked in place: most windows that reach here are addresses, and need no copy.
    const window = card || ssn ? text.slice(start, end) : undefined;
    if (card && cardDigits(window as string) !== undefined) return 'credit_card';
    if (ssn && isSsn(window as string, text.slice(Math.max(0, start - 40), start))) return 'ssn';
    if (ipv4 && isIpv4(text, start, end)) return 'ipv4';
    if (phone && isPhone(window ?? text.slice(start, end), digits)) return 'phone';
    return undefined;
  }

  function scanCluster(text: string, out: SpanSink): void {
    const { starts, ends } = cluster;
    const last = cluster.count - 1;
    for (let j = 0; j <= last;) {
      const start = windowStart(text, cluster, j);
      let claimed = -1;
      if (start >= 0) {
        for (let k = Math.min(last, j + WINDOW_GROUPS_MAX - 1); k >= j && claimed < 0; k--) {
          if (!validEnd(text, cluster, k) || !standsApart(text, cluster, j, k)) continue;
          let digits = 0;
          for (let g = j; g <= k; g++) digits += (ends[g] as number) - (starts[g] as number);
          const end = ends[k] as number;
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

  return {
    types,
    requires: CLASS_DIGIT, // clusters start at a digit
    scan(text: string, out: SpanSink): void {
      for (let from = 0; readNextCluster(text, from, cluster); from = cluster.resume) {
        // No window of fewer than 8 digits and 4 groups can be any numeric type (classify):
        // such a cluster (`/documents/20000`, `request 5000000`) needs no window search.
        if (cluster.digits >= PHONE_DIGITS_MIN || cluster.count >= IPV4_GROUPS) scanCluster(text, out);
      }
    },
  };
}

/** The fewest digits any numeric type has (phone: 8; SSN 9, card 14), and IPv4's group count. */
const PHONE_DIGITS_MIN = 8;
const IPV4_GROUPS = 4;

/** True when `text[from, to)` contains a space. */
function hasSpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === 32) return true;
  return false;
}

/**
 * A window whose groups are separated by spaces must not be cut out of a
 * longer space-separated run: a neighbouring group of 3+ digits across a space
 * (`9400 1000 0000 0000 0000 00`, a tracking number) means the window is a
 * piece of something else. Short neighbours (`4111 1111 1111 1111 12/27`) and
 * neighbours of a compact window (`4111111111111111 2027`) are fine.
 */
function standsApart(text: string, cluster: Cluster, j: number, k: number): boolean {
  if (j === k) return true;
  const { starts, ends } = cluster;
  if (!hasSpace(text, ends[j] as number, starts[k] as number)) return true;
  return (
    (j === 0 || (ends[j - 1] as number) - (starts[j - 1] as number) < 3) &&
    (k === cluster.count - 1 || (ends[k + 1] as number) - (starts[k + 1] as number) < 3)
  );
}

/** Where a window starting at group `j` begins, or -1 when no window may start there. */
function windowStart(text: string, cluster: Cluster, j: number): number {
  if (j === 0) return cluster.start;
  const groupStart = cluster.starts[j] as number;
  if (!hasSpace(text, cluster.ends[j - 1] as number, groupStart)) return -1;
  return text.charCodeAt(groupStart - 1) === 40 /* ( */ ? groupStart - 1 : groupStart;
}

/** True when a window may end after group `k`: the cluster's clean end, or a separator with a space. */
function validEnd(text: string, cluster: Cluster, k: number): boolean {
  if (k === cluster.count - 1) return !cluster.gluedEnd;
  return hasSpace(text, cluster.ends[k] as number, cluster.starts[k + 1] as number);
}
