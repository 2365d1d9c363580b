/**
 * Bounded waiting for shutdown steps: a step that hangs (a stuck drain, an actor that never stops) must not
 * keep the process from exiting.
 */

/**
 * Resolves `true` when `work` settles (fulfilled or rejected: the caller logs rejections itself) within
 * `timeoutMs`, `false` when the time ran out first. Never rejects; the timer does not keep the process alive.
 */
export function settleWithin(work: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}
