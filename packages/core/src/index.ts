/**
 * @lucent/core: the pure foundation every message passes through. No sockets, workers, files or timers.
 *
 * This entry is the public API: what an application needs to define functions, read errors, place keys and drive
 * time in tests. Everything else (envelopes, the codec, subject names, the ring's internals, routing strategies
 * and load scoring, which the placement issue wires) is reachable by sibling packages and tests only, through
 * `@lucent/core/internal`.
 */

// Time: the port every timer goes through, and the clock tests drive.
export { type Clock, SimulatedClock, systemClock, type TimerHandle } from './clock.js';
// Placement: where a message goes, given the cluster view.
export { type ClusterMember, type ClusterView, createClusterView, type MemberView } from './cluster-view.js';
export { functionOf, functionsOf, handles, lucentFunction, resources, route, shardBy } from './decorators.js';
// Functions: definitions, decorators, the registry.
export {
  defineFunction,
  type FunctionContext,
  type FunctionDefinition,
  type FunctionHandler,
  type FunctionOptions,
  type InputOf,
  NAME_CALL_RETRY,
  type OutputOf,
  type ResultEventsSpec,
  type RetryPolicy,
  type RetrySpec,
} from './definition.js';
// Errors: one base class with a stable `code`, revived as the same class after crossing the wire.
export {
  ActorStoppedError,
  CancelledError,
  ConfigError,
  ConflictError,
  DecodeError,
  EncodeError,
  errorFromWire,
  FunctionDisabledError,
  HandlerError,
  HopLimitError,
  InvalidInputError,
  InvalidMessageError,
  InvalidReminderError,
  InvalidRequestError,
  LucentError,
  type LucentErrorOptions,
  MailboxFullError,
  MalformedRemoteError,
  ModuleChecksumError,
  NoCapacityError,
  NodeUnavailableError,
  OverloadedError,
  PartialFailureError,
  RecoveryFailedError,
  RemoteError,
  RetryableError,
  RoutingError,
  SagaStepInDoubtError,
  ShuttingDownError,
  SnapshotIncompatibleError,
  TimeoutError,
  toLucentError,
  UnknownActorTypeError,
  UnknownEffectError,
  UnknownFunctionError,
  type WireError,
  WorkerCrashedError,
} from './errors.js';
export {
  type CallContext,
  createFunctionContext,
  defineEvent,
  type EventDataOf,
  type EventDefinition,
  type FunctionLogger,
  type LogLevelName,
  type ShardInfo,
} from './function-context.js';
export type { InputSchema, SchemaOutput } from './input-schema.js';
export type { NodeLoadReport } from './load-report.js';
export { actorKey } from './placement/actor-key.js';
export { dottedEventType, eventTypeName } from './placement/event-type-name.js';
export { placeActor, placeFunction } from './placement/place.js';
export type { Placement } from './placement/placement.js';
export { createRegistry, type FunctionDescription, type FunctionRegistry } from './registry.js';
export type { ReminderSchedule } from './reminders/reminder-schedule.js';
export type { CpuClass, MemorySpec, Priority, ResourceSpec } from './resources.js';
export { completedOf, type FailedEvent, failedOf } from './result-events.js';
// Routing strategies for `defineFunction({ routing })` and `@route(...)`.
export {
  type AnyRoutingStrategy,
  hash,
  leastLoaded,
  type PinTags,
  pin,
  type RangeValue,
  type RoutingStrategy,
  range,
  roundRobin,
  sticky,
} from './routing/strategy.js';
// Schedules and conditional triggers of functions.
export type { EventFilterSpec, EventPredicate } from './schedule/event-filter.js';
export type { MissedTicksSpec, ScheduleSpec } from './schedule/schedule-spec.js';
export type { LoadReport } from './scoring.js';
