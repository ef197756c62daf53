/** Option-value parsers for commander: a bad value is a usage error (`InvalidArgumentError`, exit 2). */
import { InvalidArgumentError } from 'commander';
import { parseTimeUnixNano } from './time.ts';

/** A whole number from 1 to 2^53-1 (sequence numbers, counts). */
export function parsePositiveInteger(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number from 1');
  return n;
}

/** RFC 3339 or unix nanoseconds (see time.ts). */
export function parseTime(value: string): bigint {
  const ns = parseTimeUnixNano(value);
  if (typeof ns === 'string') throw new InvalidArgumentError(ns);
  return ns;
}
