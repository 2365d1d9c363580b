/**
 * Counts the work a request handler has accepted and not finished, so a node can drain before it closes its
 * pool and transport: `drained()` resolves when the count is back at zero.
 */

/** A counter of unfinished work with a "wait until none" promise. */
export class InFlight {
  #count = 0;
  #waiters: (() => void)[] = [];

  /** Work items accepted and not yet finished. */
  get count(): number {
    return this.#count;
  }

  /** One more item started. Call {@link end} exactly once for it. */
  begin(): void {
    this.#count++;
  }

  /** One item finished; wakes `drained()` waiters when none is left. */
  end(): void {
    this.#count--;
    if (this.#count === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Resolves once no work is in flight (at once when none is). Work started after the call may keep it
   * waiting: stop accepting new work first. Never rejects.
   */
  drained(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
