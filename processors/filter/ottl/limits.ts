/** Limits of the OTTL subset (see docs/processors.md). */

/** The longest condition accepted, in characters. */
export const OTTL_CONDITION_LENGTH_MAX = 4_096;
/** The deepest nesting of parentheses, `not` and converter calls. */
export const OTTL_NESTING_DEPTH_MAX = 32;
/** The most arguments a converter call may have (the supported converters take at most 2). */
export const OTTL_ARGUMENTS_MAX = 8;
/** The most conditions one filter processor accepts under `logs.log_record`. */
export const OTTL_CONDITIONS_MAX = 1_024;
