/**
 * The synchronous-when-it-can way to run a function: `callNow` answers with the value itself when the run finished
 * before returning (a `cpu: 'low'` function's synchronous inline run, `main-thread-runner.ts`), so the request
 * handler replies in the same turn, without a promise, its reactions or a microtask; otherwise with the promise
 * `call` would give. Pools and runners that lack it fall back to `call`.
 *
 * ```
 *  callNow(target, fn, input) ─┬─ target.callNow ─► value (run over) | Promise (queued, async, failed)
 *                              └─ no callNow ─────► target.call ─► Promise
 * ```
 * A value that is not a `Promise` is final: a handler's promise or thenable is awaited by the runner.
 */

/** A pool or runner: `call`, and maybe `callNow` (see the module doc). */
export interface CallsNow<Options> {
  call(name: string, input: unknown, options?: Options): Promise<unknown>;
  callNow?(name: string, input: unknown, options?: Options): unknown;
}

/** `target.callNow(...)` where it has one, else `target.call(...)`: the value itself, or a promise of it. */
export function callNow<Options>(target: CallsNow<Options>, name: string, input: unknown, options?: Options): unknown {
  return target.callNow === undefined ? target.call(name, input, options) : target.callNow(name, input, options);
}

/** What `call` answers for a `callNow` outcome: the promise itself, or one resolved with the value. */
export function asPromise<O>(outcome: unknown): Promise<O> {
  return (outcome instanceof Promise ? outcome : Promise.resolve(outcome)) as Promise<O>;
}
