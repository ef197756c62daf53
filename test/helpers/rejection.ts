/** Test helper: the reason `p` rejects with; fails the test if `p` resolves. */
import { expect } from 'vitest';

export async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable('resolved'),
    (err: unknown) => err,
  );
}
