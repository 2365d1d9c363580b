/**
 * Drives one saga on the node that owns it: reads the stored state, asks the pure plan (`nextSagaAction`) what to
 * do, does it, and reports the outcome to the saga's actor, whose durable save comes before the next move.
 *
 * ```
 *  status ─► nextSagaAction ─► run i:        begin(i, deadline) stored ─► step (timeout, retries) ─► stepDone | stepFailed
 *     ▲                        in-doubt i:   stepFailed(i, LUCENT_SAGA_STEP_IN_DOUBT)   (not run again)
 *     │                        compensate i: begin stored ─► compensate, retried with backoff ─► compensated
 *     │                                      │ attempts spent ─► dead letter (the saga's state) ─► compensationFailed
 *     └──────── the reply (the state after the event, stored) ◄──┘   finished ─► index entry with the final state
 * ```
 * Every report is an `ask` to the local function actor with durable persistence: it resolves once stored, and a
 * stale owner's save fails (`ConflictError`, lease fencing), which ends this driver. "Begin" is stored before a
 * step runs, so the node that takes a crashed saga over sees the step in flight and follows the plan's rule for
 * it (re-run only an idempotent step). Ownership is checked before each step: a node that no longer owns the
 * saga stops driving it.
 */
import {
  nextSagaAction,
  type SagaDefinition,
  type SagaError,
  type SagaEvent,
  type SagaState,
  type SagaStep,
  type SagaStepContext,
} from '@lucent/actors/internal';
import { type Clock, SagaStepInDoubtError, TimeoutError, toLucentError } from '@lucent/core/internal';

/** What a driver needs from the node. */
export interface SagaDriverServices {
  readonly clock: Clock;
  /** This node's id: the drivers it runs are `<nodeId>#<n>`. */
  readonly nodeId: string;
  /** True while node `nodeId` is a live member (a step in flight there is left to it). */
  isAlive(nodeId: string): boolean;
  /** Asks the saga's actor on this node (durable: resolves with the stored state). */
  ask(definition: SagaDefinition, id: string, event: SagaEvent): Promise<SagaState>;
  /** The step context's ways out (call, ask, effect, waitFor), bound to one step run. */
  stepContext(base: StepContextBase): SagaStepContext;
  /** Stores the saga in the dead-letter stream (its compensation gave up). Rejects when not stored. */
  deadLetter(definition: SagaDefinition, id: string, state: SagaState, error: SagaError): Promise<void>;
  /** Records the final state in the index. */
  finished(definition: SagaDefinition, id: string, state: SagaState): Promise<void>;
  /** True while this node owns the saga. */
  owns(definition: SagaDefinition, id: string): boolean;
}

/** The identity part of a step context (the driver fills it in; the services add the I/O). */
export interface StepContextBase {
  readonly sagaId: string;
  readonly saga: string;
  readonly step: string;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly input: unknown;
  readonly results: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal;
}

/**
 * When a driver stops: `drain` ends it between steps (a graceful shutdown lets the step in progress finish and
 * be recorded); `abort` also aborts the step in progress (it is then left in flight for the next owner).
 */
export interface DriveSignals {
  readonly drain: AbortSignal;
  readonly abort: AbortSignal;
}

/** Why {@link driveSaga} returned. */
export type DriveOutcome = 'finished' | 'not-started' | 'not-owner' | 'stopped';

/**
 * Drives saga `id` of `definition` until it is final, this node stops owning it, or `signals` stop it.
 * Rejects with the store's error when a report could not be stored (then another driver picks it up later).
 */
export async function driveSaga(
  definition: SagaDefinition,
  id: string,
  services: SagaDriverServices,
  signals: DriveSignals,
): Promise<DriveOutcome> {
  const { clock, nodeId } = services;
  const driver = `${nodeId}#${++driveCount}`;
  const ask = (event: SagaEvent) => services.ask(definition, id, event);
  let state = await ask({ type: 'saga.status' });
  for (;;) {
    if (signals.drain.aborted || signals.abort.aborted) return 'stopped';
    const action = nextSagaAction(definition, state);
    if (action.type === 'finished') {
      await services.finished(definition, id, state);
      return 'finished';
    }
    if (action.type === 'wait') return 'not-started';
    if (!services.owns(definition, id)) return 'not-owner';
    // A step in flight under a driver on another live node (the ring moved while it ran) is that driver's to
    // finish: its report reaches the saga wherever it lives now. Only a dead node's step is taken over.
    const inFlight = state.inFlight;
    if (inFlight !== null && inFlight.node !== nodeId && services.isAlive(inFlight.node)) return 'not-owner';
    const taken = inFlight?.driver ?? null;
    const step = definition.steps[action.index]!;
    switch (action.type) {
      case 'in-doubt': {
        const error = new SagaStepInDoubtError({ saga: definition.name, id, step: step.name });
        state = await ask({
          type: 'saga.stepFailed',
          index: action.index,
          driver: taken,
          error: errorData(error, step.name),
        });
        break;
      }
      case 'skip-compensation':
        state = await ask({ type: 'saga.compensated', index: action.index, driver: null });
        break;
      case 'run': {
        const now = clock.wallNow();
        const deadline =
          action.resumed && inFlight !== null ? inFlight.deadline : step.timeoutMs > 0 ? now + step.timeoutMs : 0;
        const begin = {
          phase: 'run',
          index: action.index,
          deadline,
          at: now,
          driver,
          node: nodeId,
          resumes: taken,
        } as const;
        state = await ask({ type: 'saga.begin', ...begin });
        // The begin is a compare-and-set: another driver began (or took over) the step first.
        if (state.inFlight?.driver !== driver) return 'not-owner';
        const base = { definition, id, state, step, stopSignal: stepStopSignal(step, signals) };
        try {
          const output = await runAttempts(
            services,
            base,
            'run',
            deadline,
            step.retry.maxAttempts,
            step.retry.backoffMs,
          );
          state = await ask({ type: 'saga.stepDone', index: action.index, driver, output });
        } catch (error) {
          if (base.stopSignal.aborted) return 'stopped';
          state = await ask({
            type: 'saga.stepFailed',
            index: action.index,
            driver,
            error: errorData(error, step.name),
          });
        }
        break;
      }
      case 'compensate': {
        const begin = {
          phase: 'compensate',
          index: action.index,
          deadline: 0,
          at: clock.wallNow(),
          driver,
          node: nodeId,
          resumes: taken,
        } as const;
        state = await ask({ type: 'saga.begin', ...begin });
        if (state.inFlight?.driver !== driver) return 'not-owner';
        const base = { definition, id, state, step, stopSignal: signals.abort };
        const { maxAttempts, backoffMs } = definition.compensation;
        try {
          await runAttempts(services, base, 'compensate', 0, maxAttempts, backoffMs);
          state = await ask({ type: 'saga.compensated', index: action.index, driver });
        } catch (thrown) {
          if (signals.abort.aborted) return 'stopped';
          const error = errorData(thrown, step.name);
          // Never silently: the saga is stored as a dead letter before it is marked failed.
          await services.deadLetter(definition, id, state, error);
          state = await ask({ type: 'saga.compensationFailed', index: action.index, driver, error });
        }
        break;
      }
    }
  }
}

/** Numbers this process's drives: a driver token is `<node>#<n>`. */
let driveCount = 0;

/**
 * What stops a step in progress: the abort, and for an idempotent step the drain too (it may run again on the next
 * owner, so a shutdown need not wait for it, e.g. for a `waitFor`).
 */
function stepStopSignal(step: SagaStep, signals: DriveSignals): AbortSignal {
  return step.idempotent ? AbortSignal.any([signals.drain, signals.abort]) : signals.abort;
}

interface AttemptBase {
  readonly definition: SagaDefinition;
  readonly id: string;
  readonly state: SagaState;
  readonly step: SagaStep;
  readonly stopSignal: AbortSignal;
}

/** Runs a step's `run` or `compensate` up to `maxAttempts` times, each bounded by `deadline` (0: none). */
async function runAttempts(
  services: SagaDriverServices,
  base: AttemptBase,
  phase: 'run' | 'compensate',
  deadline: number,
  maxAttempts: number,
  backoffMs: number,
): Promise<unknown> {
  const { definition, id, state, step, stopSignal } = base;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (stopSignal.aborted) throw lastError ?? stopSignal.reason;
    const controller = new AbortController();
    const onStop = () => controller.abort(stopSignal.reason);
    stopSignal.addEventListener('abort', onStop, { once: true });
    const ctx = services.stepContext({
      sagaId: id,
      saga: definition.name,
      step: step.name,
      idempotencyKey: phase === 'run' ? `${id}:${step.name}` : `${id}:${step.name}:compensate`,
      attempt,
      input: state.input,
      results: state.results,
      signal: controller.signal,
    });
    try {
      const work = Promise.resolve().then(() => (phase === 'run' ? step.run(ctx) : step.compensate?.(ctx)));
      return await withDeadline(
        services.clock,
        work,
        deadline,
        controller,
        `saga ${definition.name} step ${step.name}`,
      );
    } catch (error) {
      lastError = error;
      // A timed-out step does not get another attempt past its deadline.
      if (deadline > 0 && services.clock.wallNow() >= deadline) break;
    } finally {
      stopSignal.removeEventListener('abort', onStop);
    }
    if (attempt < maxAttempts) await sleep(services.clock, backoffMs * 2 ** (attempt - 1), stopSignal);
  }
  throw lastError;
}

/**
 * `work`, or `TimeoutError` at wall time `deadline` (aborting `controller`; 0 means no bound), or the abort reason
 * as soon as `controller` aborts (a step that ignores its signal is abandoned, not awaited).
 */
function withDeadline<T>(
  clock: Clock,
  work: Promise<T>,
  deadline: number,
  controller: AbortController,
  target: string,
): Promise<T> {
  const remaining = deadline - clock.wallNow();
  return new Promise<T>((resolve, reject) => {
    const { signal } = controller;
    const onAbort = () => settle(() => reject(signal.reason));
    const timer =
      deadline > 0
        ? clock.setTimeout(
            () => controller.abort(new TimeoutError({ target, timeoutMs: Math.max(0, remaining) })),
            Math.max(0, remaining),
          )
        : undefined;
    function settle(done: () => void) {
      if (timer !== undefined) clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      done();
    }
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function errorData(error: unknown, step: string): SagaError {
  const lucent = toLucentError(error, step);
  return { code: lucent.code, message: lucent.message, step };
}
