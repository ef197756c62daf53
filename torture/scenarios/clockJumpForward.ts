/** ClockJumpForward: see clockJump.ts. */
import { clockJumpScenario } from './clockJump.ts';

export const clockJumpForward = clockJumpScenario('forward');
