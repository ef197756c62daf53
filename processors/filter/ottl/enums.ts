/** The enums of the OTTL log context: `SEVERITY_NUMBER_UNSPECIFIED` (0) and `SEVERITY_NUMBER_TRACE` (1) .. `SEVERITY_NUMBER_FATAL4` (24). */
import { SEVERITY_SHORT_NAMES } from '../match/severity.ts';

const ENUMS: ReadonlyMap<string, bigint> = new Map([
  ['SEVERITY_NUMBER_UNSPECIFIED', 0n],
  ...SEVERITY_SHORT_NAMES.map((name, index): [string, bigint] => [
    `SEVERITY_NUMBER_${name}`,
    BigInt(index + 1),
  ]),
]);

export function enumValue(name: string): bigint | undefined {
  return ENUMS.get(name);
}
