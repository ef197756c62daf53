/** ClockJumpBackward: see clockJump.ts. */
import { clockJumpScenario } from './clockJump.ts';

export const clockJumpBackward = clockJumpScenario('backward');
