/**
 * ByzantineBackend (slot): a backend that lies — acknowledges and drops,
 * returns altered or duplicated objects, reorders. Registered as skipped
 * until the object-store backends exist; it never reports a pass.
 */
import { notImplementedScenario } from '../skipped.ts';

export const byzantineBackend = notImplementedScenario({
  name: 'ByzantineBackend',
  description:
    'a backend that acknowledges and drops, alters, duplicates or reorders: detected through the chain and proofs, never trusted',
  skipReason: 'object-store backends not implemented yet',
});
