/**
 * Starts work submitted during one event-loop turn together, in the check phase (`setImmediate`).
 *
 * ```
 *  poll phase: request 1 ─► submit(e1)   request 2 ─► submit(e2)   …   (each its own socket read)
 *  check phase:            run(e1), run(e2), …  ─► nats.js writes their publishes in ONE socket write
 * ```
 * Why: nats.js flushes its outbound buffer in a microtask after the first command, so publishes started from
 * separate HTTP requests (separate socket reads, each followed by a microtask checkpoint) each cost a `write`
 * syscall; in a profile of `POST /events` that write was ~18 % of the node's CPU. Started in the same turn, they
 * share one. Nothing waits longer than the rest of the current loop turn.
 */

/** See the module doc. `run` is called once per submitted item, in submission order. */
export class CheckPhaseBatch<T, R> {
  readonly #run: (item: T) => Promise<R>;
  #items: T[] = [];
  #resolves: ((value: R) => void)[] = [];
  #rejects: ((error: unknown) => void)[] = [];
  #scheduled = false;

  constructor(run: (item: T) => Promise<R>) {
    this.#run = run;
  }

  /** Settles as `run(item)` does, which starts in this turn's check phase. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#items.push(item);
      this.#resolves.push(resolve);
      this.#rejects.push(reject);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    const items = this.#items;
    const resolves = this.#resolves;
    const rejects = this.#rejects;
    this.#items = [];
    this.#resolves = [];
    this.#rejects = [];
    this.#scheduled = false;
    for (let i = 0; i < items.length; i++) {
      let started: Promise<R>;
      try {
        started = this.#run(items[i] as T);
      } catch (error) {
        started = Promise.reject(error);
      }
      started.then(resolves[i], rejects[i]);
    }
  };
}
