/**
 * `defineSaga`: a multi-step operation across functions, actors and declared effects, with compensation. The
 * saga is itself a durable function actor (type `saga-<name>`, one per saga id) driven by an xstate machine
 * (`saga-machine.ts`); export the definition from an `--actors` module and every node hosts it and drives the
 * sagas it owns (`@lucent/node`'s saga driver). Validated here; the steps' code runs on the node's main thread
 * (it is the imperative shell: it may do I/O, through the step context).
 */
import { ConfigError, type FunctionDefinition, isValidName } from '@lucent/core/internal';
import type { ActorSubscriptionsSpec } from '../function-actor/actor-subscriptions.js';
import { type ActorDefinition, type AnyActorDefinition, defineActor } from '../function-actor/define-actor.js';
import { createSagaMachine, type SagaMachine } from './saga-machine.js';

/** Brand of saga definitions (`Symbol.for`: the same in every module copy). */
export const SAGA_BRAND: unique symbol = Symbol.for('lucent.saga');

/** What a step's code gets: who it is, the saga's input and earlier results, and the ways out. */
export interface SagaStepContext<I = unknown> {
  readonly sagaId: string;
  readonly saga: string;
  readonly step: string;
  /**
   * `<sagaId>:<step>` (a compensation: `<sagaId>:<step>:compensate`): the same on every run of this step of this
   * saga, retries and runs after a crash included. Hand it to the other side to make the step idempotent.
   */
  readonly idempotencyKey: string;
  /** 1 for the first run of this step on this node, 2 for its first retry, and so on. */
  readonly attempt: number;
  readonly input: I;
  /** Outputs of the steps completed so far, by name (a compensation finds its own step's output here). */
  readonly results: Readonly<Record<string, unknown>>;
  /** Aborted when the step times out or the node shuts down. */
  readonly signal: AbortSignal;
  /** Calls a function in the cluster (routed like a client call). */
  call<FI, FO>(fn: FunctionDefinition<FI, FO>, input: FI): Promise<FO>;
  call<FO = unknown>(fn: string, input: unknown): Promise<FO>;
  /** Asks a function actor anywhere in the cluster. */
  ask<R = unknown>(actor: AnyActorDefinition | string, id: string, message: unknown): Promise<R>;
  /** Runs an effect handler registered on the node (`--effects`), with its timeout, retry and circuit breaker. */
  effect<R = unknown>(name: string, args?: unknown): Promise<R>;
  /**
   * Resolves with the data of the first event of `type` delivered to this saga (its `subscribe[type]` routed it
   * here, since the saga started) for which `match` is true and that no earlier wait took; rejects with
   * `TimeoutError` after `timeoutMs`. Durable: the wait's deadline and the events are stored in the saga's state,
   * so an event that came between steps or while the saga's node was down counts, and a step run again after a
   * crash gets the same event and keeps the first deadline. Rejects with `ConfigError` for a type the saga does
   * not subscribe to.
   */
  waitFor<E = unknown>(type: string, match: (data: E) => boolean, timeoutMs: number): Promise<E>;
}

/** One step as declared. */
export interface SagaStepSpec<I = unknown> {
  /** Unique in the saga; `[A-Za-z_][A-Za-z0-9_-]*`. */
  readonly name: string;
  /** The step's work; its result is stored as `results[name]`. A throw (or a timeout) fails the step. */
  run(ctx: SagaStepContext<I>): unknown;
  /**
   * Undoes the step after a later step failed; retried (with the same idempotency key) until it succeeds or its
   * attempts are spent (then the saga is dead-lettered). So it must be idempotent. Optional: nothing to undo.
   */
  compensate?(ctx: SagaStepContext<I>): unknown;
  /** Bound on one run (ms); the deadline is stored, so it also bounds a run resumed after a crash. Default none. */
  readonly timeoutMs?: number;
  /** Attempts of `run` after a failure; more than 1 needs `idempotent` (a retry runs the step again). */
  readonly retry?: { readonly maxAttempts?: number; readonly backoffMs?: number };
  /**
   * The step may run more than once (the other side dedups by the idempotency key): it is retried per `retry`
   * and re-run when its node died mid-step. Without it a step interrupted by a crash is not run again: it fails
   * "in doubt" (`LUCENT_SAGA_STEP_IN_DOUBT`) and the saga compensates the steps before it.
   */
  readonly idempotent?: boolean;
}

/** What `defineSaga` takes. */
export interface SagaSpec<I> {
  /** `[A-Za-z_][A-Za-z0-9_-]*`, up to 120 characters; the actor type is `saga-<name>`. */
  readonly name: string;
  readonly steps: readonly SagaStepSpec<I>[];
  /** Attempts of each compensation before the saga is dead-lettered (default 5) and the delay between (200 ms). */
  readonly compensation?: { readonly maxAttempts?: number; readonly backoffMs?: number };
  /**
   * The durable event types its steps `waitFor`, and which saga each event is for:
   * `{ PaymentReceived: { idFrom: (data) => data.orderId, when?: (data) => … } }` (an actor subscription of the
   * saga's actor). A running saga stores them in its state until a `waitFor` takes them.
   */
  readonly subscribe?: ActorSubscriptionsSpec;
}

/** A resolved step. */
export interface SagaStep<I = unknown> extends SagaStepSpec<I> {
  readonly timeoutMs: number;
  readonly retry: { readonly maxAttempts: number; readonly backoffMs: number };
  readonly idempotent: boolean;
}

/** A validated, frozen saga. `I` is its input type. */
export interface SagaDefinition<I = unknown> {
  readonly [SAGA_BRAND]: true;
  readonly name: string;
  readonly steps: readonly SagaStep<I>[];
  readonly compensation: { readonly maxAttempts: number; readonly backoffMs: number };
  /** The function actor that holds the saga's state (type `saga-<name>`). */
  readonly actor: ActorDefinition<string, SagaMachine, 'context'>;
}

/** The actor type of saga `name`. */
export function sagaActorType(name: string): string {
  return `saga-${name}`;
}

/**
 * Validates and freezes a saga. Throws `ConfigError` (subject `saga:<name>`, field `name`, `steps`,
 * `steps.<name>.run`, `.compensate`, `.timeoutMs`, `.retry`, `compensation`).
 */
export function defineSaga<I = unknown>(spec: SagaSpec<I>): SagaDefinition<I> {
  const subject = `saga:${typeof spec?.name === 'string' ? spec.name : '?'}`;
  const invalid = (field: string, reason: string) => new ConfigError({ subject, field, reason });
  if (!isValidName(spec?.name) || spec.name.length > 120)
    throw invalid('name', 'expected [A-Za-z_][A-Za-z0-9_-]{0,119}');
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) throw invalid('steps', 'expected at least one step');
  const names = new Set<string>();
  const steps = spec.steps.map((step) => {
    if (!isValidName(step?.name) || names.has(step.name))
      throw invalid('steps', `step name '${String(step?.name)}' is invalid or repeated`);
    names.add(step.name);
    const field = `steps.${step.name}`;
    if (typeof step.run !== 'function') throw invalid(`${field}.run`, 'must be a function');
    if (step.compensate !== undefined && typeof step.compensate !== 'function')
      throw invalid(`${field}.compensate`, 'must be a function');
    const timeoutMs = step.timeoutMs ?? 0;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw invalid(`${field}.timeoutMs`, 'must be >= 0');
    const maxAttempts = step.retry?.maxAttempts ?? 1;
    const backoffMs = step.retry?.backoffMs ?? 100;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100 || !(backoffMs >= 0)) {
      throw invalid(`${field}.retry`, 'maxAttempts 1-100, backoffMs >= 0');
    }
    const idempotent = step.idempotent === true;
    if (maxAttempts > 1 && !idempotent) throw invalid(`${field}.retry`, 'a step retried must be declared idempotent');
    return Object.freeze({ ...step, timeoutMs, retry: Object.freeze({ maxAttempts, backoffMs }), idempotent });
  });
  const compensation = {
    maxAttempts: spec.compensation?.maxAttempts ?? 5,
    backoffMs: spec.compensation?.backoffMs ?? 200,
  };
  if (!Number.isInteger(compensation.maxAttempts) || compensation.maxAttempts < 1 || !(compensation.backoffMs >= 0)) {
    throw invalid('compensation', 'maxAttempts >= 1, backoffMs >= 0');
  }
  const subscribedTypes = Object.keys(spec.subscribe ?? {});
  const actor = defineActor({
    type: sagaActorType(spec.name),
    machine: createSagaMachine(
      steps.map((s) => s.name),
      subscribedTypes,
    ),
    ...(spec.subscribe === undefined ? {} : { subscribe: spec.subscribe }),
  });
  return Object.freeze({
    [SAGA_BRAND]: true as const,
    name: spec.name,
    steps: Object.freeze(steps),
    compensation: Object.freeze(compensation),
    actor,
  });
}

/** True for a value made by {@link defineSaga} (by brand, across module copies). */
export function isSagaDefinition(value: unknown): value is SagaDefinition {
  return typeof value === 'object' && value !== null && (value as { [SAGA_BRAND]?: unknown })[SAGA_BRAND] === true;
}
