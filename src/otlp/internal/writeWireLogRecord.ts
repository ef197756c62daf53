/**
 * A LogRecord's content written from the bytes it was decoded from
 * (src/record/recordWire.ts) instead of from the record: the decoded bytes
 * up to the end of the attributes, the attributes appended since (the
 * receiver's client stamp) encoded (appendedAttributes.ts), then the decoded bytes of
 * fields 7 and up, in both leaving out the fields at their default value
 * (`holes`). Byte for byte what `writeLogRecord` writes for the record,
 * because the decoder kept only bytes in the writer's canonical form (but
 * for those fields) and `validWireOf` checked that the record still holds
 * what was decoded from them (property-tested in wireReuse.test.ts).
 */
import type { AuditRecord } from '../../record/AuditRecord.ts';
import type { RecordWire } from '../../record/recordWire.ts';
import type { EncodeBuffer } from './encodeBuffer.ts';
import { writeAppendedAttributes } from './appendedAttributes.ts';

export function writeWireLogRecord(w: EncodeBuffer, record: AuditRecord, wire: RecordWire): void {
  const holes = wire.holes;
  if (holes === undefined) {
    w.copyFrom(wire.bytes, wire.start, wire.attributesEnd);
    writeAppendedAttributes(w, record.attributes, wire.attributeCount);
    w.copyFrom(wire.bytes, wire.attributesEnd, wire.end);
    return;
  }
  copyWithout(w, wire.bytes, wire.start, wire.attributesEnd, holes);
  writeAppendedAttributes(w, record.attributes, wire.attributeCount);
  copyWithout(w, wire.bytes, wire.attributesEnd, wire.end, holes);
}

/** Bytes [from, to) of `bytes` without the holes (ascending [start, end) pairs, each inside or outside the range). */
function copyWithout(
  w: EncodeBuffer,
  bytes: Buffer,
  from: number,
  to: number,
  holes: readonly number[],
): void {
  let p = from;
  for (let i = 0; i < holes.length; i += 2) {
    const holeStart = holes[i] as number;
    const holeEnd = holes[i + 1] as number;
    if (holeStart < from || holeStart >= to) continue;
    w.copyFrom(bytes, p, holeStart);
    p = holeEnd;
  }
  w.copyFrom(bytes, p, to);
}
