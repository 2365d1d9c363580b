/**
 * @lucent/actors: the in-process actor kernel and the xstate function actors.
 *
 * This entry is the public API: an actor system with mailboxes and supervision, its test kit on a simulated
 * clock, function actors defined from xstate machines, and the `StateStore` port their snapshots go through.
 * The kernel's parts (cells, dispatcher, mailboxes, the function actor host) are reachable by sibling packages
 * and tests only, through `@lucent/actors/internal`.
 */

// Testing on simulated time (the clock itself is core's).
export { type Clock, SimulatedClock, systemClock, type TimerHandle } from '@lucent/core/internal';
// The kernel.
export { type ActorSystemOptions, createActorSystem, type LocalActorSystem } from './actor-system.js';
// Persistence and activation ports, with the in-memory store.
export type { ActivationGuard } from './function-actor/activation-guard.js';
export {
  type ActorTypeOf,
  createFunctionActors,
  type DefinitionOfType,
  type FunctionActorRef,
  type FunctionActors,
  type FunctionActorsOptions,
  type PersistFailure,
} from './function-actor/activator.js';
export type { ActorInspection } from './function-actor/actor-inspection.js';
export type {
  ActorSubscriptionSpec,
  ActorSubscriptionsSpec,
  SubscribedEvent,
} from './function-actor/actor-subscriptions.js';
// Function actors: xstate machines addressed as (type, id), with a lifecycle and saved snapshots.
export {
  type ActorDefinition,
  type ActorDefinitionConfig,
  type ActorEventOf,
  type ActorReplyOf,
  type AnyActorDefinition,
  defineActor,
  type EmittedReplyOf,
  type LucentReply,
  type PersistMode,
  type PersistOption,
  type PersistOptions,
  REPLY_EVENT_TYPE,
  type ReplyMode,
} from './function-actor/define-actor.js';
export { type LifecycleChange, type LifecycleListener, LifecycleStatus } from './function-actor/lifecycle.js';
export { DEFAULT_MAX_MAILBOX_SIZE } from './function-actor/mailbox-admission.js';
export {
  type ReminderEvent,
  type ReminderFiring,
  type ReminderPort,
  reminders,
} from './function-actor/reminders.js';
export { MemoryStateStore, type MemoryStateStoreOptions } from './memory-state-store.js';
// Sagas: multi-step work with compensation, held by a durable function actor.
export {
  defineSaga,
  type SagaDefinition,
  type SagaSpec,
  type SagaStepContext,
  type SagaStepSpec,
} from './saga/define-saga.js';
export type { SagaError, SagaState, SagaStatus } from './saga/saga-state.js';
export type { StateStore, StoredSnapshot } from './state-store.js';
export { createTestKit, flushMicrotasks, type TestKit, type TestKitOptions, type TestProbe } from './testkit.js';
export {
  type ActorContext,
  type ActorRef,
  type ActorSystem,
  type AskOptions,
  type Behavior,
  type BehaviorSource,
  type ChildTerminated,
  DEFAULT_ASK_TIMEOUT_MS,
  type DeadLetter,
  type Directive,
  type MailboxOptions,
  type OverflowPolicy,
  type SpawnOptions,
  type SupervisionOptions,
  type Timers,
} from './types.js';
