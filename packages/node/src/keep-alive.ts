/**
 * `systemClock` unrefs its timers, so a pending timer alone never keeps a process up. A few waits in the node
 * must keep it up, as a socket would: a crashed call's retry backoff (piscina unrefs idle workers), the pool's
 * close grace, a lease or membership wait a caller is awaiting. They pass their timer through here.
 */
import type { TimerHandle } from '@lucent/core/internal';

/**
 * Makes a timer of `systemClock` (a Node `Timeout`) keep the process alive until it fires or is cleared.
 * A no-op for other clocks' handles (a `SimulatedClock`'s). Returns `handle`.
 */
export function keepProcessAlive(handle: TimerHandle): TimerHandle {
  (handle as { ref?: () => unknown }).ref?.();
  return handle;
}
