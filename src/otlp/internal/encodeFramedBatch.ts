/**
 * `encodeSingleRecordWithRoom` for a whole batch at once (the audit_wal
 * exporter: one call per request): the same frames, byte for byte, adjacent
 * in the same writer's chunk, but the resource and scope parts are looked up
 * and their content compared with the snapshot once per run of records
 * sharing the same resource / scope object instead of once per record (a
 * request's records share them: the comparison of a 5-attribute resource was
 * ~10% of the frame building's CPU).
 *
 * The per-record check exists so that a resource changed in place is never
 * written stale. Between two records of one call no code of the caller's runs
 * but what the records themselves run when read (accessors, proxies); so
 * each resource and scope used is checked again after the last record, and
 * if one no longer holds what its parts were encoded from (or was found
 * changed when met again), the frames are discarded and every record is
 * written again one by one, each checking its parts as
 * `encodeSingleRecordWithRoom` does.
 */
import type { AuditRecord, AuditResource, AuditScope } from '../../record/AuditRecord.ts';
import type { EncodeBuffer } from './encodeBuffer.ts';
import { NOT_ENCODABLE } from './encodeLogRecord.ts';
import {
  partsOfResource,
  partsOfScope,
  resourceStillMatches,
  scopeStillMatches,
  type CachedParts,
} from './encodeParts.ts';
import {
  borrowAdjacentWriter,
  encodeWithRoom,
  returnAdjacentWriter,
  validationError,
  writeWithRoom,
} from './singleRecordEncoder.ts';

/** A record that was not encoded, and why: `validateRecord`'s `RecordInvalidError`, or an unexpected error. */
export class EncodeRefusal {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/** Record i's frame (`headBytes` of room, its payload, `tailBytes` of room), or why it has none. */
export type FramedResult = Buffer | EncodeRefusal;

/**
 * Each record as `encodeSingleRecordWithRoom(prefix, record, headBytes, tailBytes)` would write it, in
 * order: results one after another are adjacent in memory but where a new chunk begins. An invalid record
 * gets an `EncodeRefusal` (the others are written).
 */
export function encodeRecordsWithRoom(
  prefix: number,
  records: readonly AuditRecord[],
  headBytes: number,
  tailBytes: number,
): FramedResult[] {
  const w = borrowAdjacentWriter();
  try {
    return (
      encodeSharingParts(w, prefix, records, headBytes, tailBytes) ??
      encodeOneByOne(w, prefix, records, headBytes, tailBytes)
    );
  } finally {
    returnAdjacentWriter(w);
  }
}

/** The results, or undefined when a resource or scope changed while they were written. */
function encodeSharingParts(
  w: EncodeBuffer,
  prefix: number,
  records: readonly AuditRecord[],
  headBytes: number,
  tailBytes: number,
): FramedResult[] | undefined {
  const out = new Array<FramedResult>(records.length);
  const resources = new Map<AuditResource, CachedParts>();
  const scopes = new Map<AuditScope, CachedParts>();
  let changed = false;
  let resource: AuditResource | undefined;
  let rp: CachedParts | undefined;
  let scope: AuditScope | undefined;
  let sp: CachedParts | undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as AuditRecord;
    try {
      if (typeof record !== 'object' || record === null) throw NOT_ENCODABLE;
      const res = record.resource;
      if (res !== resource || rp === undefined) {
        rp = partsOfResource(w, res);
        resource = res;
        const seen = resources.get(res);
        if (seen !== undefined && seen !== rp) changed = true;
        resources.set(res, rp);
      }
      const sc = record.scope;
      if (sc !== scope || sp === undefined) {
        sp = partsOfScope(w, sc);
        scope = sc;
        const seen = scopes.get(sc);
        if (seen !== undefined && seen !== sp) changed = true;
        scopes.set(sc, sp);
      }
      out[i] = writeWithRoom(w, prefix, record, rp, sp, headBytes, tailBytes);
    } catch (error) {
      out[i] = refusal(record, error);
    }
  }
  if (changed) return undefined;
  for (const [res, parts] of resources) if (!resourceStillMatches(res, parts)) return undefined;
  for (const [sc, parts] of scopes) if (!scopeStillMatches(sc, parts)) return undefined;
  return out;
}

function encodeOneByOne(
  w: EncodeBuffer,
  prefix: number,
  records: readonly AuditRecord[],
  headBytes: number,
  tailBytes: number,
): FramedResult[] {
  const out = new Array<FramedResult>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as AuditRecord;
    try {
      out[i] = encodeWithRoom(w, prefix, record, headBytes, tailBytes);
    } catch (error) {
      out[i] = refusal(record, error);
    }
  }
  return out;
}

/** The refusal for a record the writer stopped at, with the error `encodeSingleRecordWithRoom` would throw. */
function refusal(record: AuditRecord, error: unknown): EncodeRefusal {
  try {
    return new EncodeRefusal(validationError(record, error));
  } catch (thrown) {
    return new EncodeRefusal(thrown);
  }
}
