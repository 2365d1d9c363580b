/**
 * A saga's persisted state (the context of its xstate machine, `saga-machine.ts`) and the events that move it.
 * Plain data: it is the function actor's snapshot, stored after every event, so a saga resumes from it on any
 * node.
 *
 * ```
 *  idle ─start─► running ─stepDone (last)──────────────────────────► completed
 *                  │ stepFailed (a step threw, timed out, or was in doubt after a crash)
 *                  ▼
 *             compensating ─compensated (first step)──────────────► compensated
 *                  │ compensationFailed (retries spent: dead-lettered)
 *                  ▼
 *                failed
 * ```
 */

/** Where a saga is; the last three are final. */
export type SagaStatus = 'idle' | 'running' | 'compensating' | 'completed' | 'compensated' | 'failed';

/** An error as stored: its code and message. */
export interface SagaError {
  readonly code: string;
  readonly message: string;
  /** The step it came from. */
  readonly step: string;
}

/**
 * A step (or compensation) that began and has not ended: written before it runs, so a node that takes the saga
 * over after a crash knows a step may have run (and was not recorded as done).
 */
export interface SagaInFlight {
  readonly phase: 'run' | 'compensate';
  readonly index: number;
  /** Epoch ms after which the step times out (`0`: none); survives the crash, so a resumed step keeps its bound. */
  readonly deadline: number;
  /** Epoch ms when it began. */
  readonly startedAt: number;
  /** The driver that began it (`<node>#<n>`): only its reports count, and only it may be taken over (`resumes`). */
  readonly driver: string;
  /** The node of that driver. */
  readonly node: string;
}

/** A subscribed event the saga stored and no `waitFor` has claimed yet. */
export interface SagaInboxEvent {
  readonly type: string;
  readonly eventId: string;
  readonly data: unknown;
}

/** A `waitFor` as stored: its type and its deadline (epoch ms), kept when the step runs again after a crash. */
export interface SagaWait {
  readonly type: string;
  readonly deadline: number;
}

/** Unclaimed events a saga keeps at most; past it the oldest is dropped (and counted in `inboxDropped`). */
export const SAGA_INBOX_CAPACITY = 64;

/** The persisted state of one saga. */
export interface SagaState {
  readonly status: SagaStatus;
  readonly input: unknown;
  /** Index of the next step to run (forward) or, while compensating, of the next step to compensate. */
  readonly index: number;
  /** Outputs of the completed steps, by step name. */
  readonly results: Readonly<Record<string, unknown>>;
  readonly inFlight: SagaInFlight | null;
  /** Why it is compensating (or failed): the step's error. */
  readonly error: SagaError | null;
  /** Why compensation gave up (status `failed`). */
  readonly compensationError: SagaError | null;
  /** Runs begun per step name (forward runs and compensations alike), for tools and tests. */
  readonly runs: Readonly<Record<string, number>>;
  /**
   * Subscribed events stored while the saga runs (`defineSaga({ subscribe })`), oldest first, not yet claimed by a
   * `waitFor`: an event that came between steps or while no node drove the saga waits here.
   */
  readonly inbox: readonly SagaInboxEvent[];
  /** Events dropped from a full inbox (oldest first). */
  readonly inboxDropped: number;
  /** `waitFor`s begun, by wait key (`<step>#<n>`: the n-th `waitFor` of that step's run). */
  readonly waits: Readonly<Record<string, SagaWait>>;
  /** The event each wait key claimed (moved out of the inbox), so a step run again gets the same event. */
  readonly claims: Readonly<Record<string, SagaInboxEvent>>;
}

/** The events of a saga's machine. `saga.status` changes nothing (an ask that reads the state). */
export type SagaEvent =
  | { readonly type: 'saga.start'; readonly input: unknown }
  | { readonly type: 'saga.status' }
  | {
      readonly type: 'saga.begin';
      readonly phase: 'run' | 'compensate';
      readonly index: number;
      readonly deadline: number;
      readonly at: number;
      readonly driver: string;
      readonly node: string;
      /** `null` to begin a step nobody began; the in-flight step's `driver` to take it over after a crash. */
      readonly resumes: string | null;
    }
  // `driver`: the in-flight step's driver the report is about (`null` for a report without a begin).
  | { readonly type: 'saga.stepDone'; readonly index: number; readonly driver: string | null; readonly output: unknown }
  | {
      readonly type: 'saga.stepFailed';
      readonly index: number;
      readonly driver: string | null;
      readonly error: SagaError;
    }
  | { readonly type: 'saga.compensated'; readonly index: number; readonly driver: string | null }
  // A `waitFor` begins (stored once per key: a second one keeps the first deadline).
  | { readonly type: 'saga.wait'; readonly key: string; readonly wait: SagaWait }
  // A `waitFor` takes inbox event `eventId` (ignored when the key has one or the event is gone).
  | { readonly type: 'saga.claim'; readonly key: string; readonly eventId: string }
  | {
      readonly type: 'saga.compensationFailed';
      readonly index: number;
      readonly driver: string | null;
      readonly error: SagaError;
    };

/** The state of a saga that was never started. */
export const INITIAL_SAGA_STATE: SagaState = Object.freeze({
  status: 'idle',
  input: undefined,
  index: 0,
  results: Object.freeze({}),
  inFlight: null,
  error: null,
  compensationError: null,
  runs: Object.freeze({}),
  inbox: Object.freeze([]),
  inboxDropped: 0,
  waits: Object.freeze({}),
  claims: Object.freeze({}),
});

/** True for the statuses a saga never leaves. */
export function isFinalSagaStatus(status: SagaStatus): boolean {
  return status === 'completed' || status === 'compensated' || status === 'failed';
}
