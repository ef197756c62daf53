/**
 * Stamps each record with who sent it. Values a sender put under these names
 * are removed first: a client cannot claim another identity.
 *
 * The stamp is appended to the record's attribute list in place, which keeps
 * the record's wire bytes usable (src/record/recordWire.ts: the WAL writer
 * copies them and splices the appended attributes in); a record whose
 * sender supplied such attributes gets a new, filtered list, and is encoded
 * from the record instead.
 */
import type { ClientInfo } from '../../src/pipeline/consumer.ts';
import type { KeyValue } from '../../src/record/AnyValue.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { forgetWire } from '../../src/record/recordWire.ts';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_IDENTITY,
  ATTR_CLIENT_PROTOCOL,
  RECEIVER_OWNED_ATTRIBUTES,
} from '../../src/semconv.ts';

const OWNED = new Set(RECEIVER_OWNED_ATTRIBUTES);

/** Whether `list` has an entry under a receiver-owned name (a loop: `.some` with `includes` per entry cost ~2% of the server's CPU). */
function hasOwned(list: readonly KeyValue[]): boolean {
  for (let i = 0; i < list.length; i++) if (OWNED.has((list[i] as KeyValue).key)) return true;
  return false;
}

export function stampClient(records: AuditRecord[], client: ClientInfo): void {
  for (const r of records) {
    if (hasOwned(r.attributes)) {
      forgetWire(r);
      r.attributes = r.attributes.filter((kv) => !OWNED.has(kv.key));
    }
    if (client.authenticatedAs !== undefined)
      r.attributes.push({ key: ATTR_CLIENT_IDENTITY, value: client.authenticatedAs });
    if (client.address !== undefined) r.attributes.push({ key: ATTR_CLIENT_ADDRESS, value: client.address });
    if (client.protocol !== undefined)
      r.attributes.push({ key: ATTR_CLIENT_PROTOCOL, value: client.protocol });
  }
}
