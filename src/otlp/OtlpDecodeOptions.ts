import type { DecodeLimits } from '../record/DecodeLimits.ts';

/** Options of the OTLP decoders. */
export interface OtlpDecodeOptions {
  /** Overrides of `DEFAULT_DECODE_LIMITS` (see src/record/DecodeLimits.ts). */
  readonly limits?: Partial<DecodeLimits>;
}
