import { describe, expect, expectTypeOf, it } from 'vitest';
import type { RecordProcessor } from './RecordProcessor.ts';

describe('RecordProcessor', () => {
  it('shutdown takes the deadline the service passes (ms), optional', async () => {
    // Checked by `npm run typecheck`: with `shutdown?(): Promise<void>` the parameter list is [] and
    // the call below does not compile (TS2554), though the service passes its share of the deadline.
    expectTypeOf<Parameters<NonNullable<RecordProcessor['shutdown']>>>().toEqualTypeOf<
      [deadlineMs?: number]
    >();
    const seen: (number | undefined)[] = [];
    const p: RecordProcessor = {
      mutates: false,
      process: () => true,
      shutdown: (deadlineMs?: number) => {
        seen.push(deadlineMs);
        return Promise.resolve();
      },
    };
    await p.shutdown?.(1_500);
    await p.shutdown?.();
    expect(seen).toEqual([1_500, undefined]);
  });
});
