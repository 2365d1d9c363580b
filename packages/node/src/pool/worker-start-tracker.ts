/**
 * When is a pool dead? A pure rule over the workers' load reports (`WorkerLoadReport`), so it is tested on
 * exact sequences:
 *
 * ```
 *  threads = 2:   loaded  failed  failed          → dead (2 in a row could not start)
 *                 failed  loaded  failed          → alive (a worker started in between)
 * ```
 * A worker that crashes mid-task is not a start failure: the pool retries its calls on a fresh worker. Only
 * when as many workers in a row as the pool has threads could not even load the function modules is there no
 * worker left that can serve, and nothing the pool itself can do (piscina stops replacing workers that fail
 * during start-up).
 */

/** Counts consecutive start failures of a pool's workers. Not thread-safe; one per pool. */
export class WorkerStartTracker {
  readonly #threads: number;
  #failuresInARow = 0;
  #dead = false;

  /** `threads`: the pool's worker count (the number of failures in a row that makes it dead), at least 1. */
  constructor(threads: number) {
    this.#threads = Math.max(1, threads);
  }

  /** Failures since the last worker that started. */
  get failuresInARow(): number {
    return this.#failuresInARow;
  }

  /** True once the pool was declared dead (it stays dead). */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Records one worker's load outcome. Returns true exactly once: for the failure that makes `threads`
   * failures in a row; false before, and for every report after that.
   */
  record(loaded: boolean): boolean {
    if (this.#dead) return false;
    if (loaded) {
      this.#failuresInARow = 0;
      return false;
    }
    this.#failuresInARow++;
    if (this.#failuresInARow < this.#threads) return false;
    this.#dead = true;
    return true;
  }
}
