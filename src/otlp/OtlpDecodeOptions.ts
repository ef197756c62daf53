import type { DecodeLimits } from '../record/DecodeLimits.ts';

/** Options of the OTLP decoders. */
export interface OtlpDecodeOptions {
  /** Overrides of `DEFAULT_DECODE_LIMITS` (see src/record/DecodeLimits.ts). */
  readonly limits?: Partial<DecodeLimits>;
  /**
   * Protobuf only. True (the default): each record decoded from canonical bytes remembers where they are
   * in the input (src/record/recordWire.ts), and the WAL payload writer copies them instead of encoding
   * the record again (docs/record-encoding.md, "Reusing the wire bytes"). Such a record keeps the input
   * buffer alive, and the input must not be changed while the record may still be encoded. False for
   * records that will not be written again (e.g. read back from the WAL).
   */
  readonly keepWireBytes?: boolean;
}
