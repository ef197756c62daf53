/**
 * The encoded resource and scope parts of a single-record payload, cached per
 * resource / scope object (records share these objects) and reused only
 * while the object's content is exactly what they were encoded from: the
 * content is compared with a private deep snapshot on every use, so a
 * mutated object is re-encoded, never written stale, and content equal to a
 * snapshot that passed the writer's checks is valid too.
 */
import { cloneKeyValues } from '../../record/anyValueOps.ts';
import type { AnyValue, KeyValue } from '../../record/AnyValue.ts';
import type { AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import type { EncodeBuffer } from './encodeBuffer.ts';
import { stringField, writeResource, writeScope } from './encodeLogRecord.ts';

export interface EncodedParts {
  /** `field 1 (message)` with its length, or empty when the message is omitted. */
  readonly head: Buffer;
  /** `field 3 (schema_url)`, or empty. */
  readonly schema: Buffer;
}

/** Parts with the snapshot of the content they were encoded from. */
export interface CachedParts extends EncodedParts {
  readonly attributes: readonly KeyValue[];
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
  readonly name: string;
  readonly version: string;
}

const EMPTY = Buffer.alloc(0);
const resourceParts = new WeakMap<AuditResource, CachedParts>();
const scopeParts = new WeakMap<AuditScope, CachedParts>();
let lastResource: AuditResource | undefined;
let lastResourceParts: CachedParts | undefined;
let lastScope: AuditScope | undefined;
let lastScopeParts: CachedParts | undefined;

/** The resource's parts; encodes them with `w` (then discards the bytes) when not cached. Throws as the writer does. */
export function partsOfResource(w: EncodeBuffer, resource: AuditResource): CachedParts {
  let parts = resource === lastResource ? lastResourceParts : resourceParts.get(resource);
  if (parts === undefined || !sameContent(parts, resource, '', '')) {
    parts = encodeParts(w, resource, '', '', () => {
      writeResource(w, resource);
      return resource.attributes.length === 0 && resource.droppedAttributesCount === 0;
    });
    resourceParts.set(resource, parts);
  }
  lastResource = resource;
  lastResourceParts = parts;
  return parts;
}

/** The scope's parts, as `partsOfResource`. */
export function partsOfScope(w: EncodeBuffer, scope: AuditScope): CachedParts {
  let parts = scope === lastScope ? lastScopeParts : scopeParts.get(scope);
  if (parts === undefined || !sameContent(parts, scope, scope.name, scope.version)) {
    parts = encodeParts(w, scope, scope.name, scope.version, () => {
      writeScope(w, scope);
      return (
        scope.name === '' &&
        scope.version === '' &&
        scope.attributes.length === 0 &&
        scope.droppedAttributesCount === 0
      );
    });
    scopeParts.set(scope, parts);
  }
  lastScope = scope;
  lastScopeParts = parts;
  return parts;
}

/** Whether `resource` still holds what `parts` (from `partsOfResource`) were encoded from. */
export function resourceStillMatches(resource: AuditResource, parts: CachedParts): boolean {
  return sameContent(parts, resource, '', '');
}

/** Whether `scope` still holds what `parts` (from `partsOfScope`) were encoded from. */
export function scopeStillMatches(scope: AuditScope, parts: CachedParts): boolean {
  return sameContent(parts, scope, scope.name, scope.version);
}

function sameContent(
  parts: CachedParts,
  of: AuditResource | AuditScope,
  name: string,
  version: string,
): boolean {
  return (
    of.schemaUrl === parts.schemaUrl &&
    of.droppedAttributesCount === parts.droppedAttributesCount &&
    name === parts.name &&
    version === parts.version &&
    sameKeyValues(of.attributes, parts.attributes)
  );
}

/**
 * Exact equality with a valid snapshot, strict about shapes (real arrays,
 * non-null entries), so that equality also implies validity.
 */
function sameKeyValues(list: readonly KeyValue[], snapshot: readonly KeyValue[]): boolean {
  if (!Array.isArray(list) || list.length !== snapshot.length) return false;
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    const s = snapshot[i] as KeyValue;
    if (typeof kv !== 'object' || kv === null || kv.key !== s.key || !sameAnyValue(kv.value, s.value))
      return false;
  }
  return true;
}

function sameAnyValue(value: AnyValue, snapshot: AnyValue): boolean {
  if (typeof snapshot !== 'object' || snapshot === null) return Object.is(value, snapshot);
  if (typeof value !== 'object' || value === null) return false;
  if (snapshot instanceof Uint8Array) {
    if (!(value instanceof Uint8Array) || value.length !== snapshot.length) return false;
    for (let i = 0; i < value.length; i++) if (value[i] !== snapshot[i]) return false;
    return true;
  }
  if (Array.isArray(snapshot)) {
    if (!Array.isArray(value) || value.length !== snapshot.length) return false;
    for (let i = 0; i < value.length; i++)
      if (!sameAnyValue(value[i] as AnyValue, snapshot[i] as AnyValue)) return false;
    return true;
  }
  if (value instanceof Uint8Array || Array.isArray(value)) return false;
  return sameKeyValues(value.values, snapshot.values);
}

/** Encodes a resource or scope message (via `write`, which says whether it is omitted) and snapshots its content. */
function encodeParts(
  w: EncodeBuffer,
  of: AuditResource | AuditScope,
  name: string,
  version: string,
  write: () => boolean,
): CachedParts {
  w.begin();
  const at = w.beginMessage(0x0a);
  const omitted = write();
  w.endMessage(at);
  const head = omitted ? EMPTY : Buffer.from(w.buf.subarray(w.base, w.pos));
  w.begin();
  stringField(w, 0x1a, of.schemaUrl);
  const schema = w.pos === w.base ? EMPTY : Buffer.from(w.buf.subarray(w.base, w.pos));
  w.begin();
  return {
    head,
    schema,
    attributes: cloneKeyValues(of.attributes),
    droppedAttributesCount: of.droppedAttributesCount,
    schemaUrl: of.schemaUrl,
    name,
    version,
  };
}
