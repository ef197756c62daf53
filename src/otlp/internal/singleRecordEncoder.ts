/**
 * A fast path for the WAL payload of ONE record: the same bytes as
 * `encodeOtlpLogsProtobufPrefixed(prefix, [record])` (tested byte for byte),
 * but the resource and scope parts are encoded once per (shared, immutable)
 * resource/scope object and reused, so a record costs the encoding of its
 * own LogRecord plus a few length prefixes. Measured: resource attributes
 * (the SDK's telemetry.sdk.*) were re-encoded for every record before.
 */
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import { InstrumentationScopeType, LogRecordType, ResourceType } from './otlpRoot.ts';
import { pbLogRecord } from './recordsToPb.ts';
import { pbResource, pbScope } from './pbValues.ts';

interface Parts {
  /** `field 1 (message)` with its length, or empty when the message is absent. */
  readonly head: Buffer;
  /** `field 3 (schema_url)`, or empty. */
  readonly schema: Buffer;
}

const EMPTY = Buffer.alloc(0);
const resourceParts = new WeakMap<AuditResource, Parts>();
const scopeParts = new WeakMap<AuditScope, Parts>();

function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = n;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

function field(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), varint(body.length), body]);
}

function schemaPart(url: string): Buffer {
  return url === '' ? EMPTY : field(0x1a, Buffer.from(url, 'utf8'));
}

function partsOfResource(r: AuditResource): Parts {
  let p = resourceParts.get(r);
  if (!p) {
    const pb = pbResource(r);
    p = { head: pb ? field(0x0a, ResourceType.encode(pb).finish()) : EMPTY, schema: schemaPart(r.schemaUrl) };
    // Only frozen objects can be cached safely: a mutable one could change under the cache.
    if (Object.isFrozen(r) && Object.isFrozen(r.attributes)) resourceParts.set(r, p);
  }
  return p;
}

function partsOfScope(s: AuditScope): Parts {
  let p = scopeParts.get(s);
  if (!p) {
    const pb = pbScope(s);
    p = {
      head: pb ? field(0x0a, InstrumentationScopeType.encode(pb).finish()) : EMPTY,
      schema: schemaPart(s.schemaUrl),
    };
    if (Object.isFrozen(s) && Object.isFrozen(s.attributes)) scopeParts.set(s, p);
  }
  return p;
}

/** `prefix` byte, then LogsData{ResourceLogs{resource, ScopeLogs{scope, [record], schema}, schema}}. Records must be valid. */
export function encodeSingleRecord(prefix: number, record: AuditRecord): Uint8Array {
  const lr = LogRecordType.encode(pbLogRecord(record)).finish();
  const rp = partsOfResource(record.resource);
  const sp = partsOfScope(record.scope);
  const lrLen = varint(lr.length);
  const scopeLogsLen = sp.head.length + 1 + lrLen.length + lr.length + sp.schema.length;
  const scopeLogsLenBytes = varint(scopeLogsLen);
  const resourceLogsLen = rp.head.length + 1 + scopeLogsLenBytes.length + scopeLogsLen + rp.schema.length;
  const resourceLogsLenBytes = varint(resourceLogsLen);
  const out = Buffer.allocUnsafe(1 + 1 + resourceLogsLenBytes.length + resourceLogsLen);
  let o = 0;
  out[o++] = prefix;
  out[o++] = 0x0a;
  o += resourceLogsLenBytes.copy(out, o);
  o += rp.head.copy(out, o);
  out[o++] = 0x12;
  o += scopeLogsLenBytes.copy(out, o);
  o += sp.head.copy(out, o);
  out[o++] = 0x12;
  o += lrLen.copy(out, o);
  out.set(lr, o);
  o += lr.length;
  o += sp.schema.copy(out, o);
  o += rp.schema.copy(out, o);
  return out.subarray(0, o);
}
