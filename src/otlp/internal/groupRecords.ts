/**
 * Groups records for OTLP encoding: one group per distinct resource, one
 * sub-group per distinct scope within it, in order of first appearance;
 * records keep their relative order within a group. "Distinct" is by value —
 * attributes, dropped count and schema URL (plus name and version for a
 * scope), compared through their canonical protobuf bytes — computed only
 * when objects differ by identity, and once per object.
 */
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import { InstrumentationScopeType, ResourceType } from './otlpRoot.ts';
import { pbResource, pbScope } from './pbValues.ts';

export interface ScopeGroup {
  readonly scope: AuditScope;
  readonly records: AuditRecord[];
}

export interface ResourceGroup {
  readonly resource: AuditResource;
  readonly scopes: ScopeGroup[];
}

export function groupRecords(records: readonly AuditRecord[]): ResourceGroup[] {
  const resources = new ValueGrouping<AuditResource, ResourceEntry>(resourceKeyOf);
  const groups: ResourceGroup[] = [];
  for (const record of records) {
    let entry = resources.find(record.resource);
    if (entry === undefined) {
      entry = { group: { resource: record.resource, scopes: [] }, scopes: new ValueGrouping(scopeKeyOf) };
      resources.add(record.resource, entry);
      groups.push(entry.group);
    }
    let scopeGroup = entry.scopes.find(record.scope);
    if (scopeGroup === undefined) {
      scopeGroup = { scope: record.scope, records: [] };
      entry.scopes.add(record.scope, scopeGroup);
      entry.group.scopes.push(scopeGroup);
    }
    scopeGroup.records.push(record);
  }
  return groups;
}

interface ResourceEntry {
  readonly group: ResourceGroup;
  readonly scopes: ValueGrouping<AuditScope, ScopeGroup>;
}

/**
 * Finds the group of an object by identity first; value keys are computed
 * only once a second distinct object shows up, so the common case — every
 * record sharing one resource and one scope object — never computes a key.
 */
class ValueGrouping<T, G> {
  private readonly keyOf: (value: T) => string;
  private readonly byIdentity = new Map<T, G>();
  private byKey: Map<string, G> | undefined;
  private lastMiss: { readonly value: T; readonly key: string } | undefined;

  constructor(keyOf: (value: T) => string) {
    this.keyOf = keyOf;
  }

  find(value: T): G | undefined {
    const known = this.byIdentity.get(value);
    if (known !== undefined || this.byIdentity.size === 0) return known;
    if (this.byKey === undefined) {
      this.byKey = new Map();
      for (const [other, group] of this.byIdentity) this.byKey.set(this.keyOf(other), group);
    }
    const key = this.keyOf(value);
    const group = this.byKey.get(key);
    if (group !== undefined) this.byIdentity.set(value, group);
    else this.lastMiss = { value, key };
    return group;
  }

  /** After `find` returned undefined. */
  add(value: T, group: G): void {
    this.byIdentity.set(value, group);
    if (this.byKey !== undefined) {
      this.byKey.set(this.lastMiss?.value === value ? this.lastMiss.key : this.keyOf(value), group);
    }
    this.lastMiss = undefined;
  }
}

function resourceKeyOf(resource: AuditResource): string {
  const bytes = ResourceType.encode(pbResource(resource) ?? {}).finish();
  return `${resource.schemaUrl.length}:${resource.schemaUrl}:${latin1(bytes)}`;
}

function scopeKeyOf(scope: AuditScope): string {
  const bytes = InstrumentationScopeType.encode(pbScope(scope) ?? {}).finish();
  return `${scope.schemaUrl.length}:${scope.schemaUrl}:${latin1(bytes)}`;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
