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
export { functionOf, functionsOf, handles, lucentFunction, resources, shardBy } from './decorators.js';
// Functions: definitions, decorators, the registry.
export {
  defineFunction,
  type FunctionContext,
  type FunctionDefinition,
  type FunctionHandler,
  type FunctionOptions,
  type InputOf,
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
  LucentError,
  type LucentErrorOptions,
  MailboxFullError,
  NoCapacityError,
  NodeUnavailableError,
  PartialFailureError,
  RecoveryFailedError,
  RemoteError,
  RetryableError,
  RoutingError,
  ShuttingDownError,
  TimeoutError,
  toLucentError,
  UnknownActorTypeError,
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
export { actorKey } from './placement/actor-key.js';
export { placeActor, placeFunction } from './placement/place.js';
export type { Placement } from './placement/placement.js';
export { createRegistry, type FunctionDescription, type FunctionRegistry } from './registry.js';
export type { CpuClass, MemorySpec, Priority, ResourceSpec } from './resources.js';
export { completedOf, type FailedEvent, failedOf } from './result-events.js';
export type { LoadReport } from './scoring.js';
