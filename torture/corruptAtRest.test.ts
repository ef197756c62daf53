/**
 * stillDamaged: what the reopen after the writer appended again must allow
 * and require of the injected damage. Below the high-water mark, hit frames
 * above the mark stay destroyed (may be missing), and those recovery named
 * must be named again; numbers the new records took are no longer excused;
 * without such a loss only the frames recovery had to name count.
 */
import { describe, expect, it } from 'vitest';
import { stillDamaged } from './corruptAtRest.ts';

const bytes = new Uint8Array([1]);

describe('stillDamaged', () => {
  it('keeps the hit frames above the mark that the new records did not take', () => {
    const damage = { mayLose: new Set([26, 27, 34, 40]), mustReport: new Set([26]), lostBelowMark: 26 };
    // 40 was a torn-looking tail whose number the new records reused and acknowledged; 34 was not named.
    const acked = new Map([[40, bytes]]);
    const d = stillDamaged(damage, acked, new Set([26, 27]));
    expect([...d.mayLose].sort((a, b) => a - b)).toEqual([26, 27, 34]);
    expect([...d.mustReport].sort((a, b) => a - b)).toEqual([26, 27]);
    expect(d.lostBelowMark).toBeUndefined();
  });

  it('without a loss below the mark, only the frames recovery had to name', () => {
    const damage = { mayLose: new Set([5, 9, 10]), mustReport: new Set([5]) };
    const d = stillDamaged(damage, new Map(), new Set([5, 9]));
    expect([...d.mayLose]).toEqual([5]);
    expect([...d.mustReport]).toEqual([5]);
  });
});
