/**
 * The few facts about xstate v5 actors that the host relies on, in one place (checked against xstate 5.33 source):
 *
 * - `send` never throws. An action or guard that throws puts the actor in `status: 'error'` (the snapshot is the
 *   state *before* the failed event, spread, with `status` and `error` added) and stops it.
 * - With no error observer subscribed, xstate rethrows that error from a `setTimeout`, which crashes the process;
 *   so every hosted actor gets one.
 * - `createActor(machine, { snapshot })` restores a persisted snapshot; a snapshot the machine cannot restore
 *   (e.g. a state that no longer exists) gives an actor in `status: 'error'` at `start()`.
 * - A machine's `getPersistedSnapshot(snapshot)` only reads plain fields, so it also works on the error snapshot.
 * - An ignored event returns the same snapshot object, so reference equality tells "did anything change".
 * - Delayed transitions (`after`) run on the actor's `clock` option, outside any `send`; they are not part of the
 *   persisted snapshot, so a restored actor does not re-arm them (the host stores and resumes them itself:
 *   `delayed-events.ts`).
 */
import { RecoveryFailedError } from '@lucent/core/internal';
import { type AnyActor, type AnyStateMachine, createActor, type EventObject, type Observer } from 'xstate';
import { REPLY_EVENT_TYPE } from './define-actor.js';

/** The status of an actor's current snapshot: `active`, `done`, `error` or `stopped`. */
export function statusOf(actor: AnyActor): string {
  return (actor.getSnapshot() as { status: string }).status;
}

/**
 * A new, not yet started actor of `machine`, from `persisted` when given, observed by `observer` (for errors) and,
 * when `onReply` is given, listening for emitted {@link REPLY_EVENT_TYPE} events.
 */
export function createHostedActor(
  machine: AnyStateMachine,
  options: object,
  persisted: unknown,
  observer: Observer<unknown>,
  onReply: ((event: EventObject) => void) | undefined,
): AnyActor {
  const actor =
    persisted === undefined
      ? createActor(machine, options)
      : createActor(machine, { ...options, snapshot: persisted as never });
  actor.subscribe(observer);
  if (onReply !== undefined) actor.on(REPLY_EVENT_TYPE, onReply);
  return actor;
}

/** Stops `actor` unless it already stopped itself (error or final state). */
export function stopIfActive(actor: AnyActor | undefined): void {
  if (actor !== undefined && statusOf(actor) === 'active') actor.stop();
}

/** The persisted form of the last good state held in an error snapshot, ready to restore. */
export function persistedBeforeFailure(machine: AnyStateMachine, failed: object): unknown {
  const persisted = machine.getPersistedSnapshot(failed as never) as object;
  return { ...persisted, status: 'active', error: undefined };
}

/** The error an activation stops with once recovery gave up; `lastError` is its cause. */
export function recoveryFailedError(actor: string, attempts: number, lastError: unknown): RecoveryFailedError {
  const reason = lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
  return new RecoveryFailedError({ actor, attempts, reason }, { cause: lastError });
}
