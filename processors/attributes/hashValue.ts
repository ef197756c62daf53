/**
 * The `hash` action's digest, byte for byte what the Collector computes
 * (`attraction.sha2Hasher`, the default since contrib v0.79.0): SHA-256 over
 * the value's bytes, as lowercase hex —
 * - string: its UTF-8 bytes; bool: one byte 1 or 0;
 * - int: 8 bytes, little-endian two's complement; double: the 8 bytes of its
 *   IEEE 754 bits, little-endian.
 * Anything else (empty string, bytes, map, list, empty value) has no bytes to
 * hash and becomes the empty string, as in the Collector.
 */
import { createHash } from 'node:crypto';
import type { AnyValue } from '../../src/record/AnyValue.ts';

export function hashValue(value: AnyValue): string {
  const bytes = hashInput(value);
  if (bytes === undefined || bytes.length === 0) return '';
  return createHash('sha256').update(bytes).digest('hex');
}

function hashInput(value: AnyValue): Uint8Array | undefined {
  switch (typeof value) {
    case 'string':
      return Buffer.from(value, 'utf8');
    case 'boolean':
      return Uint8Array.of(value ? 1 : 0);
    case 'bigint': {
      const out = Buffer.alloc(8);
      out.writeBigInt64LE(value);
      return out;
    }
    case 'number': {
      const out = Buffer.alloc(8);
      out.writeDoubleLE(value);
      return out;
    }
    default:
      return undefined;
  }
}
