/**
 * The abort signal the pool gives piscina for each abortable task (every batch holding a call with a deadline,
 * which with a function's default 30 s timeout is every batch). Piscina takes either an `AbortSignal` or an
 * emitter-style object (`aborted`, `reason`, `once('abort')`, `removeListener('abort')`); this is the latter,
 * holding its one listener in a field.
 *
 * Why not an `AbortController`: piscina attaches a listener to every task's signal and removes it when the task
 * settles, and on an `EventTarget` that pair (`addEventListener` with `{ once: true }`, `removeEventListener`)
 * is the costliest part of an abortable task on the main thread. A handle that was never aborted is reused once
 * its task has settled (piscina has removed its listener by then).
 */
export class TaskAbortHandle {
  aborted = false;
  reason: unknown = undefined;
  #listener: (() => void) | null = null;

  /** Piscina's subscription: one listener per task, and a handle serves one task at a time. */
  once(_event: 'abort', listener: () => void): void {
    if (this.#listener !== null && this.#listener !== listener) {
      // A second subscriber would be a piscina change this class was not written for: fail loudly in tests.
      throw new Error('TaskAbortHandle: a second abort listener while one is attached');
    }
    this.#listener = listener;
  }

  /** Piscina's clean-up when the task settles. */
  removeListener(_event: 'abort', listener: () => void): void {
    if (this.#listener === listener) this.#listener = null;
  }

  /** Same as {@link removeListener} (the name in piscina's type declaration). */
  off(event: 'abort', listener: () => void): void {
    this.removeListener(event, listener);
  }

  /** Aborts the task: piscina rejects it and, if it is running, terminates its worker. Idempotent. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = null;
    listener?.();
  }

  /** True when it may serve another task: never aborted and no task listening. */
  get reusable(): boolean {
    return !this.aborted && this.#listener === null;
  }
}
