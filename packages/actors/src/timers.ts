/**
 * Per-actor keyed timers on the system {@link Clock}. A firing timer does not call the behavior: it `tell`s
 * its message to the actor, so timer messages queue behind earlier messages and obey the mailbox policy.
 */
import type { Clock, TimerHandle } from '@lucent/core/internal';
import type { Timers } from './types.js';

/** Where a timer's message goes (the actor's own ref). */
export interface TimerTarget<M> {
  tell(message: M): void;
}

class TimerEntry<M> {
  handle: TimerHandle | null = null;
  /** One closure per timer start (not per firing): a periodic timer re-arms with the same callback. */
  readonly fire: () => void;

  constructor(
    readonly owner: ActorTimers<M>,
    readonly key: string,
    readonly message: M,
    readonly periodMs: number,
    readonly periodic: boolean,
  ) {
    this.fire = () => owner.fired(this);
  }
}

/**
 * The {@link Timers} of one actor. Starting a key that is active replaces it. Periodic timers use a fixed
 * delay: the next firing is scheduled `intervalMs` after the previous one fired (no catch-up bursts).
 * `cancelAll` runs on stop and restart.
 */
export class ActorTimers<M> implements Timers<M> {
  private readonly entries = new Map<string, TimerEntry<M>>();

  constructor(
    private readonly clock: Clock,
    private readonly target: TimerTarget<M>,
  ) {}

  /** Sends `message` once after `delayMs` (clamped at 0), replacing any timer with the same key. */
  startSingle(key: string, message: M, delayMs: number): void {
    this.start(new TimerEntry(this, key, message, Math.max(0, delayMs), false));
  }

  /** Sends `message` every `intervalMs` (at least 1 ms), replacing any timer with the same key. */
  startPeriodic(key: string, message: M, intervalMs: number): void {
    this.start(new TimerEntry(this, key, message, Math.max(1, intervalMs), true));
  }

  /** Cancels the timer with `key`; no-op when none is active. */
  cancel(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    if (entry.handle !== null) this.clock.clearTimeout(entry.handle);
  }

  /** True while the timer with `key` is scheduled (a single timer stops being active once it fires). */
  isActive(key: string): boolean {
    return this.entries.has(key);
  }

  /** Active timers (for tests and diagnostics). */
  get size(): number {
    return this.entries.size;
  }

  /** Cancels every timer. Idempotent. */
  cancelAll(): void {
    for (const entry of this.entries.values()) {
      if (entry.handle !== null) this.clock.clearTimeout(entry.handle);
    }
    this.entries.clear();
  }

  /** @internal Called by an entry's clock callback. */
  fired(entry: TimerEntry<M>): void {
    // A cancelled or replaced entry may still fire if the clock raced the cancel; it is no longer ours.
    if (this.entries.get(entry.key) !== entry) return;
    if (entry.periodic) entry.handle = this.clock.setTimeout(entry.fire, entry.periodMs);
    else this.entries.delete(entry.key);
    this.target.tell(entry.message);
  }

  private start(entry: TimerEntry<M>): void {
    this.cancel(entry.key);
    this.entries.set(entry.key, entry);
    entry.handle = this.clock.setTimeout(entry.fire, entry.periodMs);
  }
}
