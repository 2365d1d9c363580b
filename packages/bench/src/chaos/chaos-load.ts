/**
 * The mixed load of a chaos run: `concurrency` loops, each repeating one random operation and a short pause:
 *
 * ```
 * 60 %  deposit  ask chaosAccount/<a> { deposit, id: d-<n>, amount }   acked = the ask resolved
 * 20 %  emit     ChaosTick { id: e-<n> }                                acked = emit returned (or its promise resolved)
 * 20 %  call     chaosAdd { a, b }                                      must return a + b
 * ```
 * Every deposit and event id is unique, so the final state tells a lost deposit from a double-applied one.
 * Failures are recorded with their interval; nothing is retried here (a retry with a new message would be a
 * second deposit, not the runtime's at-most-once retry).
 */
import type { LucentClient } from '@lucent/node/internal';
import type { ChaosOptions } from './chaos-options.js';
import type { SeededRandom } from './chaos-random.js';
import type { FailedOp } from './chaos-tally.js';
import { CHAOS_EVENT_TYPE } from './fixtures/chaos-functions.js';

/** The actor type the load deposits to, for the run's persistence mode. */
export function accountType(options: ChaosOptions): string {
  return options.persist === 'write-behind' ? 'chaosAccountWriteBehind' : 'chaosAccount';
}

/** Account ids `a-0` … `a-<n-1>`. */
export function accountIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `a-${i}`);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the load sent and what was acknowledged. Create, `start()`, later `await stop()`. */
export class ChaosLoad {
  readonly ackedDeposits = new Map<
    string,
    { readonly account: string; readonly amount: number; readonly atMs: number }
  >();
  readonly sentAmounts = new Map<string, number>();
  readonly ackedEvents = new Set<string>();
  readonly failures: FailedOp[] = [];
  readonly sent = { deposits: 0, emits: 0, calls: 0 };
  readonly #client: LucentClient;
  readonly #options: ChaosOptions;
  readonly #random: SeededRandom;
  readonly #now: () => number;
  readonly #accounts: string[];
  readonly #type: string;
  #running = false;
  #loops: Promise<void>[] = [];
  #next = 0;

  constructor(client: LucentClient, options: ChaosOptions, random: SeededRandom, now: () => number) {
    this.#client = client;
    this.#options = options;
    this.#random = random;
    this.#now = now;
    this.#accounts = accountIds(options.actors);
    this.#type = accountType(options);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = Array.from({ length: this.#options.concurrency }, () => this.#loop());
  }

  /** Stops the loops; resolves once every operation in flight has settled. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const dice = this.#random.next();
      if (dice < 0.6) await this.#deposit();
      else if (dice < 0.8) await this.#emit();
      else await this.#call();
      if (this.#options.opIntervalMs > 0) await pause(this.#options.opIntervalMs);
    }
  }

  async #deposit(): Promise<void> {
    const id = `d-${this.#next++}`;
    const account = this.#random.pick(this.#accounts);
    const amount = 1 + this.#random.int(9);
    this.sentAmounts.set(id, amount);
    this.sent.deposits++;
    const started = this.#now();
    try {
      await this.#client
        .actor(this.#type, account)
        .ask({ type: 'deposit', id, amount }, { timeoutMs: this.#options.askTimeoutMs });
      this.ackedDeposits.set(id, { account, amount, atMs: this.#now() });
    } catch (error) {
      this.#failed('deposit', started, error);
    }
  }

  async #emit(): Promise<void> {
    const id = `e-${this.#next++}`;
    this.sent.emits++;
    const started = this.#now();
    try {
      // `emit` returns void today and a promise that resolves once the stream stored the event with durable
      // events; awaiting its result works with both.
      const stored: unknown = this.#client.emit(CHAOS_EVENT_TYPE, { id });
      await stored;
      this.ackedEvents.add(id);
    } catch (error) {
      this.#failed('emit', started, error);
    }
  }

  async #call(): Promise<void> {
    const a = this.#random.int(1000);
    const b = this.#random.int(1000);
    this.sent.calls++;
    const started = this.#now();
    try {
      const sum = await this.#client.call<number>('chaosAdd', { a, b }, { timeoutMs: this.#options.askTimeoutMs });
      if (sum !== a + b) this.#failed('call', started, { code: 'WRONG_RESULT' });
    } catch (error) {
      this.#failed('call', started, error);
    }
  }

  #failed(op: FailedOp['op'], startMs: number, error: unknown): void {
    const code = (error as { code?: unknown } | null)?.code;
    this.failures.push({ op, startMs, endMs: this.#now(), code: typeof code === 'string' ? code : 'UNKNOWN' });
  }
}
