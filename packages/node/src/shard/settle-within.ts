/**
 * Bounded waiting for shutdown steps: a step that hangs (a stuck drain, an actor that never stops) must not
 * keep the process from exiting.
 */
import { type Clock, systemClock } from '@lucent/core/internal';

/**
 * Resolves `true` when `work` settles (fulfilled or rejected: the caller logs rejections itself) within
 * `timeoutMs`, `false` when the time ran out first. Never rejects; with `systemClock` (the default) the timer does not keep the
 * process alive.
 */
export function settleWithin(work: Promise<unknown>, timeoutMs: number, clock: Clock = systemClock): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), timeoutMs);
    const done = (): void => {
      clock.clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}
