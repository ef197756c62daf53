/**
 * The built-in value detectors, in rank order (where two detectors claim the
 * same text, the one listed first names it): specific secrets first, then
 * e-mail and IBAN, the digit-led detectors, IPv6.
 */
import type { KeyMatcher } from '../engine/KeyMatcher.ts';
import type { Scanner } from '../engine/Span.ts';
import { emailScanner } from './email.ts';
import { ibanScanner } from './iban.ts';
import { ipv6Scanner } from './ipv6.ts';
import { NUMERIC_TYPES, numericScanner } from './numericScanner.ts';
import { secretAssignmentScanner } from './secretAssignment.ts';
import { SECRET_TYPES, secretScanner } from './secretScanner.ts';

export const VALUE_DETECTORS: readonly string[] = [
  ...SECRET_TYPES,
  'secret_assignment',
  'email',
  'iban',
  ...NUMERIC_TYPES,
  'ipv6',
];

/** Every detector that can be configured: the value detectors and the key-based `sensitive_key`. */
export const CONFIGURABLE_DETECTORS: readonly string[] = [...VALUE_DETECTORS, 'sensitive_key'];

/** Scanners for the enabled built-in detectors (`secret_assignment` needs the sensitive keys). */
export function builtinScanners(enabled: ReadonlySet<string>, sensitiveKeys: KeyMatcher): Scanner[] {
  const scanners: (Scanner | undefined)[] = [
    secretScanner(enabled),
    enabled.has('secret_assignment') && !sensitiveKeys.empty
      ? secretAssignmentScanner(sensitiveKeys)
      : undefined,
    enabled.has('email') ? emailScanner() : undefined,
    enabled.has('iban') ? ibanScanner() : undefined,
    numericScanner(enabled),
    enabled.has('ipv6') ? ipv6Scanner() : undefined,
  ];
  return scanners.filter((s): s is Scanner => s !== undefined);
}
