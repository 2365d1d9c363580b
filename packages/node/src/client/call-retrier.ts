/**
 * The client's retries of pure function calls, per the definition's `retry` policy, or {@link NAME_CALL_RETRY}
 * for a call by name (`decideRetry` in core says whether and why; this file carries it out).
 *
 * ```
 *  attempt 1 ─► the call's shard (ring owner, or any) ─┬─ value ───────────────────────────► resolve
 *                                                      └─ error ─► decideRetry ─ give up ──► reject
 *                                                                     └ retry ─► count {function, reason}
 *                                                                                backoff (cockatiel), then
 *  attempt n ─► placeRetry (core): a capable shard that has not failed this call and whose breaker is closed
 *               (a keyed call: the key's next node on the ring, which serves it); the envelope says `attempt: n`
 * ```
 * - A node that leaves the client's view while it runs an attempt (a kill -9 mid-call: no answer will come) fails
 *   that attempt with `NodeUnavailableError` at once, so the retry does not wait for the whole timeout. One timer
 *   per client compares the view every {@link NODE_WATCH_MS} while calls are in flight, and has the transport fail
 *   every request still waiting on a node that left (`onNodeLeft`); nothing is tracked per call.
 * - Every attempt keeps the call's envelope id and deadline: the whole call, retries included, fits its timeout,
 *   and events the function emits derive their ids from the call id, so a repeated run stores them once.
 * - A per-node circuit breaker (cockatiel's `ConsecutiveBreaker`) opens after {@link BREAKER_THRESHOLD} node-level
 *   failures in a row (gone, overloaded, timed out); calls then avoid the node for {@link BREAKER_OPEN_MS}.
 */
import {
  type Clock,
  type ClusterView,
  decideRetry,
  type FunctionDefinition,
  functionNameOfRef,
  NAME_CALL_RETRY,
  PlacementType,
  placeRetry,
  type RetryPolicy,
  TimeoutError,
  type TimerHandle,
  type ViewSource,
} from '@lucent/core/internal';
import { ConsecutiveBreaker, decorrelatedJitterGenerator, ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Registry } from 'prom-client';
import { keepProcessAlive } from '../keep-alive.js';
import { type CounterChild, CounterFamily } from '../metrics/metric-families.js';

/** How often watched attempts check that their node is still in the view. */
export const NODE_WATCH_MS = 100;
/** Node-level failures in a row that open a node's breaker. */
export const BREAKER_THRESHOLD = 5;
/** How long an open breaker keeps calls off its node. */
export const BREAKER_OPEN_MS = 5_000;
/** `NodeUnavailableError.reason` of an attempt whose node left the view. */
export const LEFT_VIEW_REASON = 'left the cluster view while running the call';

/** One attempt as the client core sends it. */
export interface SentAttempt {
  readonly answer: Promise<unknown>;
  /** The node the attempt went to, when the client chose one (`undefined`: a queue group chose). */
  readonly node: string | undefined;
}

/** A call that may be retried: what the next attempt needs. Made once per call whose policy allows a retry. */
export class RetryCall {
  attempt = 1;
  /** Nodes that failed this call, avoided by later attempts; `null` until one does. */
  avoid: Set<string> | null = null;
  backoff: IBackoff<unknown> | undefined = undefined;
  /** The definition's policy, or {@link NAME_CALL_RETRY} for a call by name. */
  readonly policy: RetryPolicy;
  /** The `function` label of its retries: the definition's name, or the ref's without a version. */
  readonly fn: string;

  constructor(
    readonly ref: string,
    /** `undefined` for a call by name. */
    readonly definition: FunctionDefinition | undefined,
    readonly input: unknown,
    readonly options: unknown,
    /** The envelope id every attempt keeps. */
    readonly id: string,
    /** The envelope deadline every attempt keeps (wall ms). */
    readonly deadline: number,
    /** When the caller stops waiting (the clock's monotonic ms). */
    readonly giveUpAt: number,
    /** Where attempt 1 went. */
    public sentTo: string | undefined,
  ) {
    this.policy = definition?.retry ?? NAME_CALL_RETRY;
    this.fn = definition?.name ?? functionNameOfRef(ref);
  }
}

/** Sends the next attempt of `call` (the client core's; avoids `call.avoid` and open breakers). */
export type AttemptSender = (call: RetryCall) => SentAttempt;

/** See the module doc. One per client. */
export class CallRetrier {
  readonly #clock: Clock;
  readonly #view: ViewSource | undefined;
  readonly #send: AttemptSender;
  readonly #retries: CounterFamily;
  readonly #counted: CounterChild[] = [];
  readonly #onNodeLeft: (node: string) => void;
  /** Calls (attempts) sent and not settled: the view is watched while there are any. */
  #inFlight = 0;
  /** The view the watch compared with last (members that leave it fail their requests). */
  #watchedView: ClusterView | undefined = undefined;
  #watchTimer: TimerHandle | undefined = undefined;
  readonly #breakers = new Map<string, { breaker: ConsecutiveBreaker; openUntil: number }>();
  readonly #backoffs = new WeakMap<RetryPolicy, ExponentialBackoff<[number, number]>>();

  /**
   * @param onNodeLeft fails every request still waiting on `node`, which left the view (the client core asks its
   *   transport to reject them with `NodeUnavailableError` {@link LEFT_VIEW_REASON})
   */
  constructor(
    clock: Clock,
    view: ViewSource | undefined,
    send: AttemptSender,
    onNodeLeft: (node: string) => void,
    registry?: Registry,
  ) {
    this.#clock = clock;
    this.#view = view;
    this.#send = send;
    this.#onNodeLeft = onNodeLeft;
    this.#retries = new CounterFamily('lucent_retries_total', 'Calls retried by the client, by function and reason', [
      'function',
      'reason',
    ]);
    if (registry !== undefined) this.#retries.register(registry);
  }

  /** Retries counted so far for `fn` (and `reason`, when given). */
  retries(fn: string, reason?: string): number {
    let total = 0;
    for (const child of this.#counted) {
      if (child.labelValues[0] === fn && (reason === undefined || child.labelValues[1] === reason))
        total += child.value;
    }
    return total;
  }

  /** True when calls should stay off `node` now (its breaker is open). */
  isOpen(node: string): boolean {
    const entry = this.#breakers.get(node);
    return entry !== undefined && entry.openUntil > this.#clock.now();
  }

  /**
   * The call's result: `first` (attempt 1's answer, sent to `call.sentTo`), retried per the module doc. Rejects
   * with the last attempt's error when the policy gives up or no time is left for the next backoff.
   */
  run(call: RetryCall, first: Promise<unknown>): Promise<unknown> {
    // Per call: this object, two closures and one promise; the view watch costs a counter.
    this.#inFlight++;
    if (this.#watchTimer === undefined && this.#view !== undefined) this.#armWatch();
    return first.then(
      (value) => this.#succeeded(call, value),
      (error: unknown) => this.#failed(call, error),
    );
  }

  #succeeded(call: RetryCall, value: unknown): unknown {
    this.#inFlight--;
    if (call.sentTo !== undefined && this.#breakers.size > 0) this.#breakers.get(call.sentTo)?.breaker.success();
    return value;
  }

  async #failed(call: RetryCall, error: unknown): Promise<unknown> {
    this.#inFlight--;
    const policy = call.policy;
    const failedOn = failedNode(error, call.sentTo);
    // A timeout raised here (not answered by a node) means the call's whole budget is spent: nothing is left to retry in.
    if (TimeoutError.is(error) && error.origin === undefined) throw error;
    const decision = decideRetry(error, policy, call.attempt);
    if (failedOn !== undefined && decision.retry && decision.reason !== 'retryable') this.#nodeFailed(failedOn);
    if (!decision.retry) throw error;
    call.backoff = call.backoff === undefined ? this.#backoffOf(policy).next() : call.backoff.next(undefined);
    const delayMs = call.backoff.duration;
    if (this.#clock.now() + delayMs >= call.giveUpAt) throw error;
    if (failedOn !== undefined) {
      if (call.avoid === null) call.avoid = new Set([failedOn]);
      else call.avoid.add(failedOn);
    }
    const counter = this.#retries.bind([call.fn, decision.reason]);
    if (counter.value === 0 && !this.#counted.includes(counter)) this.#counted.push(counter);
    counter.inc();
    if (delayMs > 0) await this.#sleep(delayMs);
    call.attempt++;
    const sent = this.#send(call);
    call.sentTo = sent.node;
    return this.run(call, sent.answer);
  }

  #backoffOf(policy: RetryPolicy): ExponentialBackoff<[number, number]> {
    let factory = this.#backoffs.get(policy);
    if (factory === undefined) {
      // Decorrelated jitter: retries of many clients after one node's death do not arrive in step.
      factory = new ExponentialBackoff({
        initialDelay: policy.backoffMs,
        maxDelay: policy.maxBackoffMs,
        exponent: policy.multiplier,
        generator: decorrelatedJitterGenerator,
      });
      this.#backoffs.set(policy, factory);
    }
    return factory;
  }

  #nodeFailed(node: string): void {
    let entry = this.#breakers.get(node);
    if (entry === undefined) {
      entry = { breaker: new ConsecutiveBreaker(BREAKER_THRESHOLD), openUntil: 0 };
      this.#breakers.set(node, entry);
    }
    if (entry.breaker.failure()) {
      entry.openUntil = this.#clock.now() + BREAKER_OPEN_MS;
      entry.breaker.success(); // counts afresh once the node is tried again
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => keepProcessAlive(this.#clock.setTimeout(resolve, ms)));
  }

  #armWatch(): void {
    this.#watchedView ??= this.#view?.current();
    // Unref'd: a watch alone never keeps a process alive (the attempt's own request does).
    this.#watchTimer = this.#clock.setTimeout(this.#checkView, NODE_WATCH_MS);
    (this.#watchTimer as { unref?: () => void }).unref?.();
  }

  /** Fails the requests of the members that left the view since the last check; re-arms while calls are out. */
  readonly #checkView = (): void => {
    this.#watchTimer = undefined;
    const view = this.#view?.current();
    const before = this.#watchedView;
    // An empty view says nothing about who left (the client lost its own connection, or is starting).
    if (view !== undefined && view.members.length > 0) {
      if (before !== undefined && before !== view) {
        for (const member of before.members) if (!view.byId.has(member.id)) this.#onNodeLeft(member.id);
      }
      this.#watchedView = view;
    }
    if (this.#inFlight > 0) this.#armWatch();
    else this.#watchedView = undefined;
  };
}

/** The node a failed attempt points at: the one that answered the error, else the one it was sent to. */
function failedNode(error: unknown, sentTo: string | undefined): string | undefined {
  const origin = (error as { origin?: unknown } | null)?.origin;
  return typeof origin === 'string' && origin !== '' ? origin : sentTo;
}

/**
 * Where the next attempt of `call` goes under `view`: core's retry placement (`placeRetry`), avoiding the nodes
 * that failed the call and those whose breaker is open; `undefined` for the function's queue group. Pure.
 */
export function retryTarget(
  call: RetryCall,
  view: ClusterView | undefined,
  isOpen: (node: string) => boolean,
): string | undefined {
  const failed = call.avoid;
  const avoid = (id: string): boolean => failed?.has(id) === true || isOpen(id);
  const placement = placeRetry(call.definition, call.ref, call.input, view, avoid, call.attempt);
  return placement.type === PlacementType.Node ? placement.node : undefined;
}
