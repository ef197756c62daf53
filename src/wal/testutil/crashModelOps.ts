/**
 * What the two model-based crash tests (model.test.ts, strictInterleave.crash.test.ts) have alike: the
 * self-checking payloads, and the generators of the operations both make the same way. Each test keeps its
 * own weights, its own order of operations (both decide what fast-check generates), its own `strict` and
 * `tick` (they differ) and its own further operations.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { CrashMode } from '../fs/SimDisk.ts';

/** Payload: u32 id, u32 length, 16-byte digest of (id, length), filler bytes derived from the id. */
export function payloadFor(id: number): Buffer {
  const len = 24 + (((id * 2654435761) >>> 0) % 900);
  const b = Buffer.alloc(len, id % 251);
  b.writeUInt32LE(id, 0);
  b.writeUInt32LE(len, 4);
  createHash('sha256').update(b.subarray(0, 8)).digest().copy(b, 8, 0, 16);
  return b;
}

/** The id of a whole `payloadFor` payload, or undefined when `p` is not one. */
export function idOfWholePayload(p: Buffer): number | undefined {
  if (p.length < 24) return undefined;
  const id = p.readUInt32LE(0);
  return payloadFor(id).equals(p) ? id : undefined;
}

/** The operations both tests generate alike (what each does with one is its own). */
export type SharedOp =
  | { t: 'append'; n: number }
  | { t: 'batch'; n: number }
  | { t: 'framed'; n: number }
  | { t: 'settle' }
  | { t: 'crash'; mode: CrashMode; seed: number }
  | { t: 'failSync' }
  | { t: 'failWrite' }
  | { t: 'full'; bytes: number }
  | { t: 'unfull' }
  | { t: 'reopen' }
  | { t: 'read' };

/** A generator of each `SharedOp`, to weigh in a test's `fc.oneof`. */
export const SHARED_OP: { readonly [K in SharedOp['t']]: fc.Arbitrary<Extract<SharedOp, { t: K }>> } = {
  append: fc.record({ t: fc.constant('append' as const), n: fc.integer({ min: 1, max: 12 }) }),
  batch: fc.record({ t: fc.constant('batch' as const), n: fc.integer({ min: 1, max: 8 }) }),
  framed: fc.record({ t: fc.constant('framed' as const), n: fc.integer({ min: 1, max: 8 }) }),
  settle: fc.constant({ t: 'settle' as const }),
  crash: fc.record({
    t: fc.constant('crash' as const),
    mode: fc.constantFrom<CrashMode>('tear', 'tear', 'lose', 'keep'),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }),
  failSync: fc.constant({ t: 'failSync' as const }),
  failWrite: fc.constant({ t: 'failWrite' as const }),
  full: fc.record({ t: fc.constant('full' as const), bytes: fc.integer({ min: 0, max: 12_000 }) }),
  unfull: fc.constant({ t: 'unfull' as const }),
  reopen: fc.constant({ t: 'reopen' as const }),
  read: fc.constant({ t: 'read' as const }),
};
