import type { DecodeLimits } from '../record/DecodeLimits.ts';

/** Options of the OTLP decoders. */
export interface OtlpDecodeOptions {
  /** Overrides of `DEFAULT_DECODE_LIMITS` (see src/record/DecodeLimits.ts). */
  readonly limits?: Partial<DecodeLimits>;
  /**
   * Protobuf only. False (the default): the records hold nothing of the input. True: each record decoded
   * from canonical bytes remembers where they are in the input (src/record/recordWire.ts), and the WAL
   * payload writer copies them instead of encoding the record again (docs/record-encoding.md, "Reusing
   * the wire bytes"). Only for a caller that owns the input and hands the records straight to a pipeline
   * (the OTLP receivers): such a record keeps the input buffer alive, the input must not be changed while
   * the record may still be encoded (a read buffer reused for the next message would be stored instead),
   * and nothing may change the record's content other than through `processRecords` (or after
   * `forgetWire`): an entry replaced inside its attribute list, or a value changed inside, is not seen.
   */
  readonly keepWireBytes?: boolean;
}
