/**
 * Every error Lucent raises is a `LucentError` with a stable `code`. Codes are the contract:
 * tests and callers branch on `code`, never on message text.
 *
 * Errors cross the wire as {@link WireError} data (code, name, message, details, origin) and are revived
 * into the same class on the other side by {@link errorFromWire}; an unknown code becomes a
 * {@link RemoteError} that keeps the code, so a newer peer never crashes an older one, and a malformed one (a
 * known code whose details lack a declared field, a missing message) a {@link MalformedRemoteError}.
 */
import { type DetailFields, type DetailSpecs, fieldsProblem } from './error-details.js';

/** Options every Lucent error accepts. */
export interface LucentErrorOptions {
  /** Overrides the generated message (used when reviving an error that crossed the wire). */
  readonly message?: string;
  readonly cause?: unknown;
  /** Id of the node where the error was raised; set when it crossed the wire. */
  readonly origin?: string;
}

/** The data form of an error, as carried in an error envelope. */
export interface WireError {
  readonly code: string;
  readonly name: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
  readonly origin?: string;
}

type Details = Record<string, unknown>;

/** Base class of every Lucent error. `details` holds the structured fields of the error. */
export abstract class LucentError<D extends Details = Details> extends Error {
  abstract readonly code: string;
  readonly details: D;
  /** Id of the node that raised the error, when it came from another node. */
  origin: string | undefined;

  protected constructor(message: string, details: D, options?: LucentErrorOptions) {
    super(options?.message ?? message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = details;
    this.origin = options?.origin;
  }

  /** True for any Lucent error, including one decoded from the wire (checked by shape, not `instanceof`). */
  static isLucentError(value: unknown): value is LucentError {
    return (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { code: string }).code.startsWith('LUCENT_') &&
      typeof (value as { details?: unknown }).details === 'object'
    );
  }

  /** The data form of this error; `details` must hold only msgpack-encodable values. */
  toWire(origin?: string): WireError {
    const o = origin ?? this.origin;
    const wire = { code: this.code, name: this.name, message: this.message, details: this.details as Details };
    return o === undefined ? wire : { ...wire, origin: o };
  }
}

/** Shape of an error class that can be revived from the wire. */
interface ErrorClass<D extends Details> {
  readonly code: string;
  /** The kind of each field of `details`, checked before a wire error is revived into this class. */
  readonly fields: DetailSpecs;
  new (details: D, options?: LucentErrorOptions): LucentError<D>;
}

/**
 * Declares an error class with a fixed code and name. The generated class takes `(details, options?)`,
 * builds its message from `describe(details)` (unless `options.message` is given), and has a static `is()` guard
 * that works on decoded errors. `fields` declares the kind of every field of `details` (its type is derived from
 * `describe`'s, so the two cannot drift): {@link errorFromWire} checks it before reviving a peer's error.
 */
function defineError<const C extends string, D extends Details>(
  code: C,
  name: string,
  describe: (details: D) => string,
  fields: NoInfer<DetailFields<D>>,
) {
  class Defined extends LucentError<D> {
    static readonly code: C = code;
    static readonly fields: DetailSpecs = fields;
    readonly code: C = code;
    override readonly name: string = name;
    constructor(details: D, options?: LucentErrorOptions) {
      super(options?.message ?? describe(details), details, options);
    }
    /** True when `value` is an error with this class's code, whether constructed here or decoded. */
    static is(value: unknown): value is Defined {
      return LucentError.isLucentError(value) && value.code === code;
    }
  }
  Object.defineProperty(Defined, 'name', { value: name });
  registry.set(code, Defined as unknown as ErrorClass<Details>);
  return Defined;
}

const registry = new Map<string, ErrorClass<Details>>();

/** Configuration or definition metadata is invalid. `subject` names what (a function, an actor type, a node option). */
export const ConfigError = defineError(
  'LUCENT_CONFIG',
  'ConfigError',
  (d: { subject: string; field: string; reason: string }) => `${d.subject}: invalid ${d.field}: ${d.reason}`,
  { subject: 'string', field: 'string', reason: 'string' },
);
export type ConfigError = InstanceType<typeof ConfigError>;

/** Bytes could not be decoded: malformed, truncated, of the wrong shape, or over the size limit. */
export const DecodeError = defineError(
  'LUCENT_DECODE',
  'DecodeError',
  (d: { reason: string; byteLength: number }) => `cannot decode ${d.byteLength} bytes: ${d.reason}`,
  { reason: 'string', byteLength: 'number' },
);
export type DecodeError = InstanceType<typeof DecodeError>;

/**
 * A value could not be encoded, or its encoding is over the size limit. An over-size error also carries the
 * sizes (`byteLength`, `limitBytes`) and `raiseWith`, the setting that raises the limit.
 */
export const EncodeError = defineError(
  'LUCENT_ENCODE',
  'EncodeError',
  (d: { reason: string; byteLength?: number; limitBytes?: number; raiseWith?: string }) =>
    `cannot encode message: ${d.reason}${d.raiseWith === undefined ? '' : ` (raise the limit with ${d.raiseWith})`}`,
  { reason: 'string', byteLength: 'number?', limitBytes: 'number?', raiseWith: 'string?' },
);
export type EncodeError = InstanceType<typeof EncodeError>;

/** A call or ask passed its deadline. */
export const TimeoutError = defineError(
  'LUCENT_TIMEOUT',
  'TimeoutError',
  (d: { target: string; timeoutMs: number }) => `${d.target} did not answer within ${d.timeoutMs} ms`,
  { target: 'string', timeoutMs: 'number' },
);
export type TimeoutError = InstanceType<typeof TimeoutError>;

/** A message could not be routed, e.g. the field its strategy reads is missing. */
export const RoutingError = defineError(
  'LUCENT_ROUTING',
  'RoutingError',
  (d: { target: string; field: string; reason: string }) => `cannot route ${d.target} by '${d.field}': ${d.reason}`,
  { target: 'string', field: 'string', reason: 'string' },
);
export type RoutingError = InstanceType<typeof RoutingError>;

/** No shard can take the message: none is capable, or every candidate is overloaded. */
export const NoCapacityError = defineError(
  'LUCENT_NO_CAPACITY',
  'NoCapacityError',
  (d: { target: string; reason: string }) => `no shard can serve ${d.target}: ${d.reason}`,
  { target: 'string', reason: 'string' },
);
export type NoCapacityError = InstanceType<typeof NoCapacityError>;

/**
 * The node will not take the call now: a bounded queue is full (the pool's queue, or a function's own
 * `maxConcurrency` backlog), or the node that owns the call's key (`hash`/`sticky` routing) is overloaded (load
 * score at or above 0.9, then `node` and `load` are set) and refuses it at once instead of queueing it. Nothing
 * ran; the caller may retry after `retryAfterMs`.
 */
export const OverloadedError = defineError(
  'LUCENT_OVERLOADED',
  'OverloadedError',
  (d: { target: string; reason: string; retryAfterMs: number; node?: string; load?: number }) =>
    `${d.target} rejected${d.node === undefined ? '' : ` by ${d.node}`}: ${d.reason} (retry after ${d.retryAfterMs} ms)`,
  { target: 'string', reason: 'string', retryAfterMs: 'number', node: 'string?', load: 'number?' },
);
export type OverloadedError = InstanceType<typeof OverloadedError>;

/** One problem found by an input schema: what is wrong, and where (`path`, dotted; `''` for the input itself). */
export interface InputIssue {
  readonly message: string;
  readonly path: string;
}

/**
 * A function's input failed its definition's `input` schema. Raised by the client before sending and again by
 * the node before running the handler; `issues` lists every problem the schema reported.
 */
export const InvalidInputError = defineError(
  'LUCENT_INVALID_INPUT',
  'InvalidInputError',
  (d: { name: string; issues: readonly InputIssue[] }) =>
    `invalid input to '${d.name}': ${d.issues
      .slice(0, 5)
      .map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`))
      .join('; ')}${d.issues.length > 5 ? ` (and ${d.issues.length - 5} more)` : ''}`,
  { name: 'string', issues: 'array' },
);
export type InvalidInputError = InstanceType<typeof InvalidInputError>;

/**
 * A message to an actor is not an event its machine can take: not an object, or without a string `type`. The
 * actor never sees it and keeps its state.
 */
export const InvalidMessageError = defineError(
  'LUCENT_INVALID_MESSAGE',
  'InvalidMessageError',
  (d: { actor: string; reason: string }) => `invalid message to actor ${d.actor}: ${d.reason}`,
  { actor: 'string', reason: 'string' },
);
export type InvalidMessageError = InstanceType<typeof InvalidMessageError>;

/**
 * A CloudEvent sent to the gateway, over HTTP (`POST /events`) or gRPC (a request's `event`), is malformed or not
 * one Lucent can take: a missing `id`, a `type` that is no event type, a body or `data` that does not decode as its
 * content type says, a content type Lucent does not speak. `field` names the part over gRPC (`event.datacontenttype`;
 * `''` over HTTP, where `reason` says where), `reason` what is wrong. Nothing of the request was run or published.
 * What is wrong around the event (a gRPC request's function name, actor id, subscription) is
 * {@link InvalidRequestError}.
 */
export const InvalidCloudEventError = defineError(
  'LUCENT_INVALID_CLOUD_EVENT',
  'InvalidCloudEventError',
  (d: { field: string; reason: string }) => `invalid CloudEvent: ${d.field === '' ? '' : `${d.field}: `}${d.reason}`,
  { field: 'string', reason: 'string' },
);
export type InvalidCloudEventError = InstanceType<typeof InvalidCloudEventError>;

/** A request to the gateway is larger than its limit (`limitBytes`); it was not read further. */
export const RequestTooLargeError = defineError(
  'LUCENT_REQUEST_TOO_LARGE',
  'RequestTooLargeError',
  (d: { what: string; limitBytes: number }) => `${d.what} is larger than the limit of ${d.limitBytes} bytes`,
  { what: 'string', limitBytes: 'number' },
);
export type RequestTooLargeError = InstanceType<typeof RequestTooLargeError>;

/** No function with this name (and version) is registered. */
export const UnknownFunctionError = defineError(
  'LUCENT_UNKNOWN_FUNCTION',
  'UnknownFunctionError',
  (d: { name: string }) => `unknown function '${d.name}'`,
  { name: 'string' },
);
export type UnknownFunctionError = InstanceType<typeof UnknownFunctionError>;

/** The function exists but is disabled in the registry. */
export const FunctionDisabledError = defineError(
  'LUCENT_FUNCTION_DISABLED',
  'FunctionDisabledError',
  (d: { name: string }) => `function '${d.name}' is disabled`,
  { name: 'string' },
);
export type FunctionDisabledError = InstanceType<typeof FunctionDisabledError>;

/** No actor type with this name is registered. */
export const UnknownActorTypeError = defineError(
  'LUCENT_UNKNOWN_ACTOR_TYPE',
  'UnknownActorTypeError',
  (d: { type: string }) =>
    `no node hosts actor type '${d.type}' (start the nodes with --actors naming a module that defines it)`,
  { type: 'string' },
);
export type UnknownActorTypeError = InstanceType<typeof UnknownActorTypeError>;

/** User code (a function or an actor behavior) threw; `remoteName` is the thrown error's name. */
export const HandlerError = defineError(
  'LUCENT_HANDLER',
  'HandlerError',
  (d: { target: string; remoteName: string; remoteMessage: string; retryable?: boolean }) =>
    `${d.target} failed: ${d.remoteName}: ${d.remoteMessage}`,
  { target: 'string', remoteName: 'string', remoteMessage: 'string', retryable: 'boolean?' },
);
export type HandlerError = InstanceType<typeof HandlerError>;

/**
 * A transient failure a function reports on purpose: the client retries the call per the function's `retry`
 * policy (another shard, after the backoff). Any thrown error with `retryable: true` counts the same.
 */
export const RetryableError = defineError(
  'LUCENT_RETRYABLE',
  'RetryableError',
  (d: { reason: string }) => `retryable failure: ${d.reason}`,
  { reason: 'string' },
);
export type RetryableError = InstanceType<typeof RetryableError>;

/**
 * Some parts of a scatter or gather failed and its policy is `'fail'`: `errors` holds each failure's wire form
 * (with the shard or input index it belongs to) so nothing is lost.
 */
export const PartialFailureError = defineError(
  'LUCENT_PARTIAL_FAILURE',
  'PartialFailureError',
  (d: { target: string; failed: number; total: number; errors: readonly (WireError & { index: number })[] }) =>
    `${d.failed} of ${d.total} parts of ${d.target} failed (first: ${d.errors[0]?.code ?? '?'})`,
  { target: 'string', failed: 'number', total: 'number', errors: 'array' },
);
export type PartialFailureError = InstanceType<typeof PartialFailureError>;

/** A bounded mailbox rejected the message. */
export const MailboxFullError = defineError(
  'LUCENT_MAILBOX_FULL',
  'MailboxFullError',
  (d: { actor: string; capacity: number }) => `mailbox of ${d.actor} is full (capacity ${d.capacity})`,
  { actor: 'string', capacity: 'number' },
);
export type MailboxFullError = InstanceType<typeof MailboxFullError>;

/** The actor is stopped (or stopping) and cannot take the message. */
export const ActorStoppedError = defineError(
  'LUCENT_ACTOR_STOPPED',
  'ActorStoppedError',
  (d: { actor: string }) => `actor ${d.actor} is stopped`,
  { actor: 'string' },
);
export type ActorStoppedError = InstanceType<typeof ActorStoppedError>;

/** A revision-guarded write lost: the stored revision moved since it was read. */
export const ConflictError = defineError(
  'LUCENT_CONFLICT',
  'ConflictError',
  (d: { key: string; expectedRevision: number | null; actualRevision: number | null }) =>
    `revision conflict on '${d.key}': expected ${d.expectedRevision}, found ${d.actualRevision}`,
  { key: 'string', expectedRevision: 'number|null', actualRevision: 'number|null' },
);
export type ConflictError = InstanceType<typeof ConflictError>;

/**
 * A deployed module's bytes do not hash to the checksum its registry entry names (tampered or corrupted in the
 * module store): the node refuses to load it and keeps running its other versions.
 */
export const ModuleChecksumError = defineError(
  'LUCENT_MODULE_CHECKSUM',
  'ModuleChecksumError',
  (d: { module: string; expected: string; actual: string }) =>
    `module ${d.module} does not match its checksum: expected sha256 ${d.expected}, got ${d.actual}`,
  { module: 'string', expected: 'string', actual: 'string' },
);
export type ModuleChecksumError = InstanceType<typeof ModuleChecksumError>;

/**
 * An actor's stored snapshot was written by a version of its type that the running version does not declare it
 * can restore (`defineActor({ version, restores })`). The actor is not started from scratch: it stays down (its
 * messages get this error) until a compatible version is deployed or the snapshot is migrated.
 */
export const SnapshotIncompatibleError = defineError(
  'LUCENT_SNAPSHOT_INCOMPATIBLE',
  'SnapshotIncompatibleError',
  (d: { actor: string; snapshotVersion: string; version: string; restores: readonly string[] }) =>
    `actor ${d.actor}: its snapshot is of version ${d.snapshotVersion}, which version ${d.version} cannot restore ` +
    `(it restores ${d.restores.join(', ')})`,
  { actor: 'string', snapshotVersion: 'string', version: 'string', restores: 'string[]' },
);
export type SnapshotIncompatibleError = InstanceType<typeof SnapshotIncompatibleError>;

/** An actor could not recover its state after the allowed number of attempts. */
export const RecoveryFailedError = defineError(
  'LUCENT_RECOVERY_FAILED',
  'RecoveryFailedError',
  (d: { actor: string; attempts: number; reason: string }) =>
    `actor ${d.actor} failed to recover after ${d.attempts} attempts: ${d.reason}`,
  { actor: 'string', attempts: 'number', reason: 'string' },
);
export type RecoveryFailedError = InstanceType<typeof RecoveryFailedError>;

/** A pool worker died while running the call. */
export const WorkerCrashedError = defineError(
  'LUCENT_WORKER_CRASHED',
  'WorkerCrashedError',
  (d: { name: string; reason: string }) => `worker crashed running '${d.name}': ${d.reason}`,
  { name: 'string', reason: 'string' },
);
export type WorkerCrashedError = InstanceType<typeof WorkerCrashedError>;

/** The node that should serve the message is gone or unreachable. */
export const NodeUnavailableError = defineError(
  'LUCENT_NODE_UNAVAILABLE',
  'NodeUnavailableError',
  (d: { node: string; reason: string }) => `node ${d.node} is unavailable: ${d.reason}`,
  { node: 'string', reason: 'string' },
);
export type NodeUnavailableError = InstanceType<typeof NodeUnavailableError>;

/** A message was forwarded more times than the hop limit allows (views disagree for too long). */
export const HopLimitError = defineError(
  'LUCENT_HOP_LIMIT',
  'HopLimitError',
  (d: { target: string; hops: number }) => `${d.target} was forwarded ${d.hops} times without reaching its owner`,
  { target: 'string', hops: 'number' },
);
export type HopLimitError = InstanceType<typeof HopLimitError>;

/** The node or system is shutting down and takes no new work. */
export const ShuttingDownError = defineError(
  'LUCENT_SHUTTING_DOWN',
  'ShuttingDownError',
  (d: { node: string }) => `${d.node} is shutting down`,
  { node: 'string' },
);
export type ShuttingDownError = InstanceType<typeof ShuttingDownError>;

/** The caller cancelled a call (its `AbortSignal` fired) before it finished. */
export const CancelledError = defineError(
  'LUCENT_CANCELLED',
  'CancelledError',
  (d: { target: string }) => `call to ${d.target} was cancelled`,
  { target: 'string' },
);
export type CancelledError = InstanceType<typeof CancelledError>;

/**
 * A saga step that is not idempotent began on a node that died before recording its end: it may or may not have
 * run, so it is not run again; the saga fails it and compensates the steps before it.
 */
export const SagaStepInDoubtError = defineError(
  'LUCENT_SAGA_STEP_IN_DOUBT',
  'SagaStepInDoubtError',
  (d: { saga: string; id: string; step: string }) =>
    `saga ${d.saga}/${d.id}: step '${d.step}' began before a crash and is not idempotent: not run again`,
  { saga: 'string', id: 'string', step: 'string' },
);
export type SagaStepInDoubtError = InstanceType<typeof SagaStepInDoubtError>;

/** A saga step's code (or a compensation) named an effect no `--effects` module registered on the node. */
export const UnknownEffectError = defineError(
  'LUCENT_UNKNOWN_EFFECT',
  'UnknownEffectError',
  (d: { name: string }) => `no effect handler '${d.name}' is registered on this node (--effects)`,
  { name: 'string' },
);
export type UnknownEffectError = InstanceType<typeof UnknownEffectError>;
/** A reminder (or delayed message) was refused: bad name, schedule or time. `actor` is `type/id`. */
export const InvalidReminderError = defineError(
  'LUCENT_INVALID_REMINDER',
  'InvalidReminderError',
  (d: { actor: string; name: string; reason: string }) => `reminder '${d.name}' of ${d.actor}: ${d.reason}`,
  { actor: 'string', name: 'string', reason: 'string' },
);
export type InvalidReminderError = InstanceType<typeof InvalidReminderError>;

/**
 * A gRPC gateway request is malformed around its CloudEvent: no function `name`, an actor `type` or `id`
 * missing, a Subscribe without valid `types` or with an `accept` Lucent does not speak. Nothing was run. A bad
 * CloudEvent itself is {@link InvalidCloudEventError}.
 */
export const InvalidRequestError = defineError(
  'LUCENT_INVALID_REQUEST',
  'InvalidRequestError',
  (d: { field: string; reason: string }) => `invalid request: ${d.field}: ${d.reason}`,
  { field: 'string', reason: 'string' },
);
export type InvalidRequestError = InstanceType<typeof InvalidRequestError>;

/**
 * A peer sent an error this build cannot revive as what it claims to be: not an object, without a string code,
 * name or message, or with a known code whose details lack a declared field (or hold one of another kind).
 * `remoteCode` is the code it claimed (`null` when it had none); `reason` says what was wrong. The peer's call
 * failed either way; this error says so without guessing which failure it was.
 */
export const MalformedRemoteError = defineError(
  'LUCENT_MALFORMED_REMOTE_ERROR',
  'MalformedRemoteError',
  (d: { remoteCode: string | null; reason: string }) =>
    `a peer sent a malformed error${d.remoteCode === null ? '' : ` (${d.remoteCode})`}: ${d.reason}`,
  { remoteCode: 'string|null', reason: 'string' },
);
export type MalformedRemoteError = InstanceType<typeof MalformedRemoteError>;

/** An error from a peer whose code this build does not know; the original code is kept. */
export class RemoteError extends LucentError {
  readonly code: string;
  override readonly name: string;
  constructor(wire: WireError) {
    super(wire.message, wire.details, wire.origin === undefined ? undefined : { origin: wire.origin });
    this.code = wire.code;
    this.name = wire.name;
  }
}

/** The envelope fields of a wire error every revival needs. */
const WIRE_FIELDS: DetailSpecs = { code: 'string', name: 'string', message: 'string', origin: 'string?' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Revives an error from its data form into the class registered for its code (or {@link RemoteError} for a code
 * this build does not know). The message, details and origin are kept as they were sent.
 *
 * Total: it never throws. Anything that is not a well-formed wire error (see {@link MalformedRemoteError}),
 * including a known code whose details do not match the class's declared fields, becomes a
 * `MalformedRemoteError`, so a revived error's `details` are always what its class's type says.
 */
export function errorFromWire(wire: unknown): LucentError {
  if (!isRecord(wire)) return malformed(null, `expected an object, got ${wire === null ? 'null' : typeof wire}`);
  const remoteCode = typeof wire.code === 'string' ? wire.code : null;
  const envelopeProblem = fieldsProblem(wire, WIRE_FIELDS);
  if (envelopeProblem !== undefined) return malformed(remoteCode, envelopeProblem, wire);
  if (!isRecord(wire.details)) return malformed(remoteCode, 'details is not an object', wire);
  const valid = wire as unknown as WireError;
  const Ctor = registry.get(valid.code);
  if (Ctor === undefined) return new RemoteError(valid);
  const problem = fieldsProblem(valid.details, Ctor.fields);
  if (problem !== undefined) return malformed(remoteCode, `details.${problem}`, wire);
  const options: LucentErrorOptions =
    valid.origin === undefined ? { message: valid.message } : { message: valid.message, origin: valid.origin };
  return new Ctor(valid.details, options);
}

/** A {@link MalformedRemoteError}, keeping the sender's origin when it sent a usable one. */
function malformed(remoteCode: string | null, reason: string, wire?: Record<string, unknown>): MalformedRemoteError {
  const origin = wire?.origin;
  return new MalformedRemoteError(
    { remoteCode, reason },
    typeof origin === 'string' ? { origin, cause: wire } : { cause: wire },
  );
}

/**
 * The one rule for turning anything thrown into a Lucent error: a Lucent error is returned as it is (same
 * object, code and origin kept); anything else becomes a {@link HandlerError} for `target` (default
 * `'unknown'`) carrying the thrown value's name (`typeof` for a non-`Error`) and message, with the value as
 * `cause`. Never throws. Its wire form is `toLucentError(thrown, target).toWire(origin)`.
 */
export function toLucentError(thrown: unknown, target = 'unknown'): LucentError {
  if (thrown instanceof LucentError) return thrown;
  const remoteName = thrown instanceof Error ? thrown.name : typeof thrown;
  const remoteMessage = thrown instanceof Error ? thrown.message : describeThrown(thrown);
  // A plain error marked `retryable: true` keeps the mark across the wire, for the client's retry policy.
  if (isMarkedRetryable(thrown)) {
    return new HandlerError({ target, remoteName, remoteMessage, retryable: true }, { cause: thrown });
  }
  return new HandlerError({ target, remoteName, remoteMessage }, { cause: thrown });
}

function isMarkedRetryable(thrown: unknown): boolean {
  return typeof thrown === 'object' && thrown !== null && (thrown as { retryable?: unknown }).retryable === true;
}

/** True when `error` (constructed here or decoded) is a handler's failure marked retryable (see {@link RetryableError}). */
export function isRetryableHandlerError(error: unknown): boolean {
  if (RetryableError.is(error)) return true;
  return HandlerError.is(error) && (error.details as { retryable?: unknown }).retryable === true;
}

/** `String(value)`, or a fixed text for a value that cannot be converted (`Object.create(null)`, a throwing `toString`). */
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `unprintable ${typeof value}`;
  }
}

/** Every error code this build knows, for documentation and exhaustive tests. */
export function knownErrorCodes(): readonly string[] {
  return [...registry.keys()];
}
