/**
 * NetworkPartition (slot): object-store / OTLP-forward backends cut off for
 * a while — cursors must not advance without the backend's confirmation and
 * the WAL must keep everything until they catch up. Registered as skipped
 * until those backends exist; it never reports a pass.
 */
import { notImplementedScenario } from '../skipped.ts';

export const networkPartition = notImplementedScenario({
  name: 'NetworkPartition',
  description:
    'a backend unreachable for a while: cursors advance only on confirmation, nothing lost, retention waits',
  skipReason: 'object-store backends not implemented yet',
});
