/**
 * `defineActor`: the metadata of a function actor type (its xstate v5 machine, persistence, passivation, how asks
 * are answered), as a branded value that a module can export and a registry can recognise.
 */
import { ConfigError, isValidName } from '@lucent/core/internal';
import type { AnyStateMachine, ContextFrom, EmittedFrom, EventFromLogic } from 'xstate';
import {
  type ActorSubscription,
  type ActorSubscriptionsSpec,
  resolveActorSubscriptions,
} from './actor-subscriptions.js';

/** Brand of every actor definition; `Symbol.for` so that two copies of this module agree. */
export const ACTOR_BRAND: unique symbol = Symbol.for('lucent.actor');

/** The type of the event a machine emits (xstate `emit`) to answer an ask when `replyWith: 'emit'`. */
export const REPLY_EVENT_TYPE = 'lucent.reply';

/**
 * The emitted event that answers an ask. Declare it in the machine's `types.emitted` and emit it from an action:
 * `emit(({ context }) => ({ type: 'lucent.reply', value: context.total }))`.
 */
export interface LucentReply<V> {
  readonly type: typeof REPLY_EVENT_TYPE;
  readonly value: V;
}

/**
 * How an ask is answered:
 * - `'context'` (default): the machine's context after the event was handled (also when the event was ignored).
 * - `'emit'`: the `value` of the last {@link LucentReply} the machine emitted while handling the event, or
 *   `undefined` when it emitted none (an ignored event still settles).
 */
export type ReplyMode = 'context' | 'emit';

/**
 * When an actor's snapshot is saved, named for what it risks (see the README's "Durability" section):
 * - `'durable'` (default): a reply (and the end of a message) is sent only once the snapshot that includes the
 *   message is stored. Messages handled in the same turn share one save (group commit); a failed save answers
 *   their asks with the error and stops the activation. Loses nothing that was acknowledged.
 * - `'write-behind'`: reply first, save right behind (at most one save in flight, coalesced). A crash between the
 *   reply and the save loses acknowledged messages (typically the last few milliseconds).
 * - `{ everyMs }`: save when changed, every `everyMs` (and on stop and passivation). A crash loses up to `everyMs`
 *   of acknowledged messages.
 * All modes save on graceful stop and passivation, and every save is revision-checked.
 */
export type PersistOption = 'durable' | 'write-behind' | { readonly everyMs: number } | PersistOptions;

/** What {@link PersistOption} resolves to on a definition. */
export type PersistMode = 'durable' | 'write-behind' | 'periodic';

/** The object form of {@link PersistOption}. */
export interface PersistOptions {
  /** Save the snapshot, when it changed, every `everyMs` (actor timer): mode `periodic` (unless `onTransition`). */
  readonly everyMs?: number;
  /**
   * @deprecated Use `persist: 'write-behind'`. Save after every event that changed the snapshot, replying first
   * (write-behind). An object with neither field means the default, `'durable'`.
   */
  readonly onTransition?: boolean;
}

/** What {@link defineActor} takes: the type name, the xstate machine, the reply mode and persistence settings. */
export interface ActorDefinitionConfig<
  TType extends string,
  TMachine extends AnyStateMachine,
  TReply extends ReplyMode,
> {
  /**
   * Unique actor type name, valid as a function name is (`isValidName` of core: `[A-Za-z_][A-Za-z0-9_-]*`, up to
   * 128), so it is safe in NATS subjects and KV keys; it prefixes the state key `${type}/${id}`.
   */
  readonly type: TType;
  readonly machine: TMachine;
  /** When to save snapshots besides on stop and passivation (always). Default `'durable'`: see {@link PersistOption}. */
  readonly persist?: PersistOption;
  /** Snapshot and stop an activation idle this long; it reactivates with its state on its next message. */
  readonly passivateAfterMs?: number;
  readonly replyWith?: TReply;
  /** Restore-and-retry attempts after a failure (action/guard throws, snapshot load fails). Default 3. */
  readonly maxRecoveryAttempts?: number;
  /**
   * Version of this actor type's code (default `'1'`). Snapshots are stamped with the version that wrote them
   * (`snapshot-version.ts`); deployed versions of a type are told apart by it.
   */
  readonly version?: string;
  /**
   * Snapshot versions this version can restore (default: its own version only). An actor whose stored snapshot is
   * of another version fails to activate with `SnapshotIncompatibleError` instead of starting from scratch.
   */
  readonly restores?: readonly string[];
  /**
   * Durable event types this type's actors receive (`actor-subscriptions.ts`): `{ OrderPaid: { idFrom: (data) =>
   * data.orderId, when?: (data) => data.amount > 0 } }`. The actor gets `{ type: 'OrderPaid', data, eventId }`,
   * at least once (an event id is applied once within the actor's dedup window).
   */
  readonly subscribe?: ActorSubscriptionsSpec;
  /**
   * Messages one actor of this type may hold waiting (its mailbox); an ask or tell that finds it full is refused
   * at once with `OverloadedError` (`details.retryAfterMs`: the backlog's likely drain time), never queued.
   * Default: the directory's `maxMailboxSize` (a node's `--actor-mailbox-size`, 1000). An integer >= 1.
   */
  readonly maxMailboxSize?: number;
}

/** A function actor type. Immutable; create with {@link defineActor}. */
export interface ActorDefinition<
  TType extends string = string,
  TMachine extends AnyStateMachine = AnyStateMachine,
  TReply extends ReplyMode = ReplyMode,
> {
  readonly [ACTOR_BRAND]: true;
  readonly type: TType;
  readonly machine: TMachine;
  /**
   * The resolved persistence: `mode`, the periodic interval (`periodic`, or a deprecated `onTransition` with
   * `everyMs`) and `onTransition` (true in `write-behind`, kept for code that read the old field).
   */
  readonly persist: {
    readonly mode: PersistMode;
    readonly everyMs: number | undefined;
    readonly onTransition: boolean;
  };
  readonly passivateAfterMs: number | undefined;
  readonly replyWith: TReply;
  readonly maxRecoveryAttempts: number;
  /** See {@link ActorDefinitionConfig.version}. */
  readonly version: string;
  /** See {@link ActorDefinitionConfig.restores}; includes `version` unless the options said otherwise. */
  readonly restores: readonly string[];
  /** The resolved {@link ActorDefinitionConfig.subscribe}; empty when it subscribes to nothing. */
  readonly subscriptions: readonly ActorSubscription[];
  /** See {@link ActorDefinitionConfig.maxMailboxSize}; `undefined`: the directory's default. */
  readonly maxMailboxSize: number | undefined;
}

/** Any actor definition, whatever its machine. */
// biome-ignore lint/suspicious/noExplicitAny: the reply mode is erased here on purpose
export type AnyActorDefinition = ActorDefinition<string, AnyStateMachine, any>;

/** The events an actor of definition `D` accepts (`tell`/`ask`), from its machine. */
export type ActorEventOf<D> = D extends ActorDefinition<string, infer M, ReplyMode> ? EventFromLogic<M> : never;

/** The value `emit`ted as the reply by machine `M`, or `never` when it declares no {@link LucentReply}. */
export type EmittedReplyOf<M extends AnyStateMachine> =
  Extract<EmittedFrom<M>, { type: typeof REPLY_EVENT_TYPE }> extends {
    value: infer V;
  }
    ? V
    : never;

/** What an ask to an actor of definition `D` resolves with (see {@link ReplyMode}). */
export type ActorReplyOf<D> =
  D extends ActorDefinition<string, infer M, infer R>
    ? R extends 'emit'
      ? EmittedReplyOf<M> | undefined
      : ContextFrom<M>
    : never;

/**
 * Declares a function actor type. Validates the options and throws `ConfigError` (synchronously) when one is
 * invalid; the returned definition is frozen. Event and reply types flow from `machine` to callers.
 */
export function defineActor<
  const TType extends string,
  TMachine extends AnyStateMachine,
  TReply extends ReplyMode = 'context',
>(config: ActorDefinitionConfig<TType, TMachine, TReply>): ActorDefinition<TType, TMachine, TReply> {
  const subject = `actor type '${String(config.type)}'`;
  const invalid = (field: string, reason: string) => new ConfigError({ subject, field, reason });
  if (!isValidName(config.type)) throw invalid('type', 'must match [A-Za-z_][A-Za-z0-9_-]{0,127}');
  if (
    config.machine === null ||
    typeof config.machine !== 'object' ||
    typeof config.machine.transition !== 'function'
  ) {
    throw invalid('machine', 'must be an xstate v5 machine (createMachine / setup().createMachine)');
  }
  const persist = resolvePersist(config.persist, invalid);
  if (config.passivateAfterMs !== undefined && !isPositiveFinite(config.passivateAfterMs)) {
    throw invalid('passivateAfterMs', 'must be > 0');
  }
  // Actors are placed by `type/id` on the ring; a `shardBy` (once documented, never used) is refused, not ignored.
  if ((config as { shardBy?: unknown }).shardBy !== undefined) {
    throw invalid('shardBy', 'actors are placed by their type/id key; address them with ask/tell by id');
  }
  const replyWith = (config.replyWith ?? 'context') as TReply;
  if (replyWith !== 'context' && replyWith !== 'emit') throw invalid('replyWith', "must be 'context' or 'emit'");
  const maxRecoveryAttempts = config.maxRecoveryAttempts ?? 3;
  if (!Number.isInteger(maxRecoveryAttempts) || maxRecoveryAttempts < 0) {
    throw invalid('maxRecoveryAttempts', 'must be an integer >= 0');
  }
  const version = config.version ?? DEFAULT_ACTOR_VERSION;
  if (typeof version !== 'string' || !VERSION_PATTERN.test(version)) {
    throw invalid('version', 'expected 1-64 of [A-Za-z0-9._-]');
  }
  const restores = config.restores ?? [version];
  if (!Array.isArray(restores) || restores.some((v) => typeof v !== 'string' || !VERSION_PATTERN.test(v))) {
    throw invalid('restores', 'must be a list of versions');
  }
  const subscriptions = resolveActorSubscriptions(config.subscribe, subject);
  const { maxMailboxSize } = config;
  if (maxMailboxSize !== undefined && !(Number.isInteger(maxMailboxSize) && maxMailboxSize >= 1)) {
    throw invalid('maxMailboxSize', 'must be an integer >= 1');
  }
  return Object.freeze({
    [ACTOR_BRAND]: true as const,
    type: config.type,
    machine: config.machine,
    persist,
    passivateAfterMs: config.passivateAfterMs,
    replyWith,
    maxRecoveryAttempts,
    version,
    restores: Object.freeze([...restores]),
    subscriptions,
    maxMailboxSize,
  });
}

/** Version of an actor type that declares none. */
export const DEFAULT_ACTOR_VERSION = '1';
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** True for a value made by {@link defineActor} (checked by brand, so it works across module copies). */
export function isActorDefinition(value: unknown): value is AnyActorDefinition {
  return typeof value === 'object' && value !== null && (value as { [ACTOR_BRAND]?: unknown })[ACTOR_BRAND] === true;
}

function resolvePersist(
  option: PersistOption | undefined,
  invalid: (field: string, reason: string) => Error,
): ActorDefinition['persist'] {
  if (option === undefined || option === 'durable') {
    return Object.freeze({ mode: 'durable' as const, everyMs: undefined, onTransition: false });
  }
  if (option === 'write-behind') {
    return Object.freeze({ mode: 'write-behind' as const, everyMs: undefined, onTransition: true });
  }
  if (typeof option !== 'object' || option === null) {
    throw invalid('persist', "must be 'durable', 'write-behind' or { everyMs }");
  }
  const { everyMs } = option as PersistOptions;
  const onTransition = (option as PersistOptions).onTransition === true;
  if (everyMs !== undefined && !isPositiveFinite(everyMs)) throw invalid('persist.everyMs', 'must be > 0');
  const mode: PersistMode = onTransition ? 'write-behind' : everyMs !== undefined ? 'periodic' : 'durable';
  return Object.freeze({ mode, everyMs, onTransition });
}

function isPositiveFinite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
