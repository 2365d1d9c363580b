/**
 * A test kit for users' own actor tests: a system on a {@link SimulatedClock}, probe actors that record what
 * they receive, and `advance(ms)` that moves time while letting microtasks run, so timers, backoff and ask
 * timeouts are driven deterministically and no test ever sleeps.
 *
 * ```ts
 * const kit = createTestKit();
 * const probe = kit.createProbe<string>();
 * const ticker = kit.system.spawn<string>({
 *   preStart: (ctx) => ctx.timers.startPeriodic('tick', 'tick', 100),
 *   receive: (msg) => probe.ref.tell(msg),
 * });
 * expect(await probe.expectMessage(100)).toBe('tick');   // moves simulated time up to 100 ms
 * await probe.expectNoMessage(50);                       // 50 ms more, nothing arrives
 * await kit.shutdown();
 * ```
 */
import { AssertionError } from 'node:assert';
import { SimulatedClock, TimeoutError } from '@lucent/core/internal';
import { type ActorSystemOptions, createActorSystem, type LocalActorSystem } from './actor-system.js';
import type { ActorRef } from './types.js';

/** Options of {@link createTestKit}; all optional. */
export interface TestKitOptions extends Partial<Omit<ActorSystemOptions, 'clock'>> {
  /** Initial simulated time (`clock.now()`); default 0. */
  readonly startMs?: number;
  /** Initial simulated wall time (`clock.wallNow()`); default core's `SIMULATED_WALL_START_MS`. */
  readonly wallStartMs?: number;
}

/** Lets every queued microtask (and the ones they queue) run: a macrotask turn, not a sleep. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An actor that records every message it receives, in order. Asks to it resolve with `undefined`. */
export class TestProbe<M> {
  readonly ref: ActorRef<M>;
  private readonly received: M[] = [];
  private consumed = 0;

  constructor(
    private readonly kit: TestKit,
    name: string | undefined,
  ) {
    const received = this.received;
    const behavior = {
      receive(message: M): void {
        received.push(message);
      },
    };
    this.ref = kit.system.spawn<M>(behavior, name === undefined ? undefined : { name });
  }

  /** Every message received so far, in arrival order (including ones already returned by `expectMessage`). */
  get receivedMessages(): readonly M[] {
    return this.received;
  }

  /**
   * Resolves with the next message not yet returned by `expectMessage`, advancing simulated time (firing timers
   * and running microtasks) for up to `timeoutMs` until one arrives. Rejects with the core `TimeoutError`
   * when none arrives in time; simulated time has then moved by `timeoutMs`.
   */
  async expectMessage(timeoutMs = 1000): Promise<M> {
    const deadline = this.kit.clock.now() + timeoutMs;
    await this.kit.advanceUntil(deadline, () => this.received.length > this.consumed);
    if (this.received.length > this.consumed) return this.received[this.consumed++] as M;
    throw new TimeoutError({ target: this.ref.path, timeoutMs });
  }

  /**
   * Advances simulated time by `ms` and rejects with an `AssertionError` (`code: 'ERR_ASSERTION'`) if a message
   * not yet returned by `expectMessage` is there by then.
   */
  async expectNoMessage(ms = 100): Promise<void> {
    await this.kit.advance(ms);
    if (this.received.length > this.consumed) {
      throw new AssertionError({
        message: `${this.ref.path} received an unexpected message`,
        actual: this.received[this.consumed],
        expected: undefined,
        operator: 'expectNoMessage',
      });
    }
  }
}

/** A system on a simulated clock, with helpers to drive time. Create with {@link createTestKit}. */
export class TestKit {
  readonly clock: SimulatedClock;
  readonly system: LocalActorSystem;
  private probes = 0;

  constructor(options: TestKitOptions = {}) {
    this.clock = new SimulatedClock(options.startMs ?? 0, options.wallStartMs);
    this.system = createActorSystem({ random: () => 0, ...options, name: options.name ?? 'test', clock: this.clock });
  }

  /** A new probe actor at `/user/<name>` (default `probe-<n>`). */
  createProbe<M = unknown>(name?: string): TestProbe<M> {
    return new TestProbe<M>(this, name ?? `probe-${this.probes++}`);
  }

  /** Runs pending microtasks (message drains, promise reactions) without moving time. */
  flush(): Promise<void> {
    return flushMicrotasks();
  }

  /**
   * Moves simulated time forward by `ms`, one due timer at a time, running microtasks before and after each,
   * so that what a timer's message causes (replies, new timers) happens before the next timer fires.
   */
  advance(ms: number): Promise<void> {
    return this.advanceUntil(this.clock.now() + ms, () => false);
  }

  /** @internal Steps time towards `target`, stopping early once `done()` holds after a flush. */
  async advanceUntil(target: number, done: () => boolean): Promise<void> {
    await flushMicrotasks();
    while (!done() && this.clock.fireNext(target)) await flushMicrotasks();
    if (!done() && this.clock.now() < target) {
      this.clock.advance(target - this.clock.now());
      await flushMicrotasks();
    }
  }

  /** Terminates the system (every actor stops, children first). */
  async shutdown(): Promise<void> {
    const done = this.system.terminate();
    await flushMicrotasks();
    await done;
  }
}

/** Creates a {@link TestKit}: name `test`, simulated time from `startMs` (0), jitter source `() => 0`. */
export function createTestKit(options?: TestKitOptions): TestKit {
  return new TestKit(options);
}
