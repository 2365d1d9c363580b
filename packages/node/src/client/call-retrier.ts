/**
 * A remote call from its first attempt to its outcome, with the client's retries of pure function calls, per the
 * definition's `retry` policy, or {@link NAME_CALL_RETRY} for a call by name (`decideRetry` in core says whether and
 * why; this file carries it out).
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
 *
 * Cost per call: the {@link RetryCall} and the caller's promise. The call object is the transport's receiver of
 * every attempt (`Transport.requestTo`), so no attempt makes a promise of its own, nor a closure (there was a
 * promise per layer, request, decode and retry, each with its reactions and closures: with the envelope's
 * encode, the larger part of the client's CPU per call).
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
import type { ReplyReceiver } from '../transport/transport.js';

/** How often watched attempts check that their node is still in the view. */
export const NODE_WATCH_MS = 100;
/** Node-level failures in a row that open a node's breaker. */
export const BREAKER_THRESHOLD = 5;
/** How long an open breaker keeps calls off its node. */
export const BREAKER_OPEN_MS = 5_000;
/** `NodeUnavailableError.reason` of an attempt whose node left the view. */
export const LEFT_VIEW_REASON = 'left the cluster view while running the call';

const unsettled = (_outcome: unknown): void => {};

/**
 * A call: what its next attempt needs, and the receiver of each attempt's outcome (`Transport.requestTo`), which
 * it hands to its {@link CallRetrier}. Made once per call.
 */
export class RetryCall implements ReplyReceiver {
  attempt = 1;
  /** Nodes that failed this call, avoided by later attempts; `null` until one does. */
  avoid: Set<string> | null = null;
  backoff: IBackoff<unknown> | undefined = undefined;
  /** The definition's policy, or {@link NAME_CALL_RETRY} for a call by name. */
  readonly policy: RetryPolicy;
  /** The `function` label of its retries: the definition's name, or the ref's without a version. */
  readonly fn: string;
  /** The retrier that {@link CallRetrier.start}ed it, and the caller's promise's settle functions. */
  retrier: CallRetrier | undefined = undefined;
  succeed: (value: unknown) => void = unsettled;
  fail: (error: unknown) => void = unsettled;

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
    /** Where the current attempt went (`undefined`: a queue group chose); the sender sets it per attempt. */
    public sentTo: string | undefined,
  ) {
    this.policy = definition?.retry ?? NAME_CALL_RETRY;
    this.fn = definition?.name ?? functionNameOfRef(ref);
  }

  /** The current attempt's answer (bytes, as the transport received them). */
  resolve(reply: Uint8Array): void {
    this.retrier?.answered(this, reply);
  }

  /** The current attempt failed on the way (timeout, no responders, node gone, closed). */
  reject(error: unknown): void {
    this.retrier?.failed(this, error);
  }
}

/**
 * Sends the next attempt of `call` (the client core's; avoids `call.avoid` and open breakers): sets `call.sentTo`
 * and requests with `call` as the receiver. May throw (the envelope does not encode): the call then fails.
 */
export type AttemptSender = (call: RetryCall) => void;

/** What a {@link CallRetrier} works with. */
export interface CallRetrierOptions {
  readonly clock: Clock;
  readonly view: ViewSource | undefined;
  readonly send: AttemptSender;
  /**
   * Fails every request still waiting on `node`, which left the view (the client core asks its transport to
   * reject them with `NodeUnavailableError` {@link LEFT_VIEW_REASON}).
   */
  readonly onNodeLeft: (node: string) => void;
  /** An answer's value; throws the error an error answer carries. Default: the bytes as they are. */
  readonly decode?: (reply: Uint8Array) => unknown;
  /** The error to act on for a failure on the way (e.g. no responders → `UnknownFunctionError`). Default: as is. */
  readonly explain?: (error: unknown) => unknown;
  readonly registry?: Registry | undefined;
}

// The executor of every call's promise: no closure per call. It runs synchronously inside `new Promise`, which
// takes the settle functions out at once.
let capturedResolve: (value: unknown) => void = unsettled;
let capturedReject: (error: unknown) => void = unsettled;
const capture = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
  capturedResolve = resolve;
  capturedReject = reject;
};

/** See the module doc. One per client. */
export class CallRetrier {
  readonly #clock: Clock;
  readonly #view: ViewSource | undefined;
  readonly #send: AttemptSender;
  readonly #decode: (reply: Uint8Array) => unknown;
  readonly #explain: (error: unknown) => unknown;
  readonly #retries: CounterFamily;
  readonly #counted: CounterChild[] = [];
  readonly #onNodeLeft: (node: string) => void;
  /** Attempts of retryable calls sent and not settled: the view is watched while there are any. */
  #inFlight = 0;
  /** The view the watch compared with last (members that leave it fail their requests). */
  #watchedView: ClusterView | undefined = undefined;
  #watchTimer: TimerHandle | undefined = undefined;
  readonly #breakers = new Map<string, { breaker: ConsecutiveBreaker; openUntil: number }>();
  readonly #backoffs = new WeakMap<RetryPolicy, ExponentialBackoff<[number, number]>>();

  constructor(options: CallRetrierOptions) {
    this.#clock = options.clock;
    this.#view = options.view;
    this.#send = options.send;
    this.#onNodeLeft = options.onNodeLeft;
    this.#decode = options.decode ?? ((reply) => reply);
    this.#explain = options.explain ?? ((error) => error);
    this.#retries = new CounterFamily('lucent_retries_total', 'Calls retried by the client, by function and reason', [
      'function',
      'reason',
    ]);
    if (options.registry !== undefined) this.#retries.register(options.registry);
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
    // Nearly always no breaker at all: every call placed on a node asks, so skip the lookup then.
    if (this.#breakers.size === 0) return false;
    const entry = this.#breakers.get(node);
    return entry !== undefined && entry.openUntil > this.#clock.now();
  }

  /**
   * The call's result, for a call whose first attempt the caller sends next (to `call.sentTo`, with `call` as the
   * receiver): resolves with an answer's value; retried per the module doc; rejects with the last attempt's error
   * when the policy gives up or no time is left for the next backoff.
   */
  start(call: RetryCall): Promise<unknown> {
    const result = new Promise<unknown>(capture);
    call.retrier = this;
    call.succeed = capturedResolve;
    call.fail = capturedReject;
    this.#attemptSent(call);
    return result;
  }

  /** An attempt of `call` was answered with `reply` (by `call` as the transport's receiver). */
  answered(call: RetryCall, reply: Uint8Array): void {
    let value: unknown;
    try {
      value = this.#decode(reply);
    } catch (error) {
      this.#attemptFailed(call, error);
      return;
    }
    this.#attemptSettled(call);
    if (call.sentTo !== undefined && this.#breakers.size > 0) this.#breakers.get(call.sentTo)?.breaker.success();
    call.succeed(value);
  }

  /** An attempt of `call` failed on the way (no answer). */
  failed(call: RetryCall, error: unknown): void {
    this.#attemptFailed(call, this.#explain(error));
  }

  /** Only calls that may be retried are watched: a call with one attempt has nothing to gain from failing early. */
  #attemptSent(call: RetryCall): void {
    if (call.policy.maxAttempts <= 1) return;
    this.#inFlight++;
    if (this.#watchTimer === undefined && this.#view !== undefined) this.#armWatch();
  }

  #attemptSettled(call: RetryCall): void {
    if (call.policy.maxAttempts > 1) this.#inFlight--;
  }

  /** `decideRetry` on the attempt's error: the call fails with it, or its next attempt goes after a backoff. */
  #attemptFailed(call: RetryCall, error: unknown): void {
    this.#attemptSettled(call);
    const policy = call.policy;
    const failedOn = failedNode(error, call.sentTo);
    // A timeout raised here (not answered by a node) means the call's whole budget is spent: nothing is left to retry in.
    if (TimeoutError.is(error) && error.origin === undefined) {
      call.fail(error);
      return;
    }
    const decision = decideRetry(error, policy, call.attempt);
    if (failedOn !== undefined && decision.retry && decision.reason !== 'retryable') this.#nodeFailed(failedOn);
    if (!decision.retry) {
      call.fail(error);
      return;
    }
    call.backoff = call.backoff === undefined ? this.#backoffOf(policy).next() : call.backoff.next(undefined);
    const delayMs = call.backoff.duration;
    if (this.#clock.now() + delayMs >= call.giveUpAt) {
      call.fail(error);
      return;
    }
    if (failedOn !== undefined) {
      if (call.avoid === null) call.avoid = new Set([failedOn]);
      else call.avoid.add(failedOn);
    }
    const counter = this.#retries.bind([call.fn, decision.reason]);
    if (counter.value === 0 && !this.#counted.includes(counter)) this.#counted.push(counter);
    counter.inc();
    void this.#retryAfter(call, delayMs);
  }

  /** Sends the next attempt of `call` after `delayMs` (always from a later turn, never inside the failure's). */
  async #retryAfter(call: RetryCall, delayMs: number): Promise<void> {
    if (delayMs > 0) await this.#sleep(delayMs);
    else await Promise.resolve();
    call.attempt++;
    this.#attemptSent(call);
    try {
      this.#send(call);
    } catch (error) {
      this.#attemptSettled(call);
      call.fail(error);
    }
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
