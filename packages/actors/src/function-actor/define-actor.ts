/**
 * `defineActor`: the metadata of a function actor type (its xstate v5 machine, persistence, passivation, how asks
 * are answered), as a branded value that a module can export and a registry can recognise.
 */
import { ConfigError, isValidName } from '@lucent/core/internal';
import type { AnyStateMachine, ContextFrom, EmittedFrom, EventFromLogic } from 'xstate';

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

export interface PersistOptions {
  /** Save the snapshot, when it changed, every `everyMs` (actor timer). */
  readonly everyMs?: number;
  /** Save after every event that changed the snapshot (write-behind, coalesced: at most one save in flight). */
  readonly onTransition?: boolean;
}

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
  /** When to save snapshots besides on stop and passivation (always). Default: only then. */
  readonly persist?: PersistOptions;
  /** Snapshot and stop an activation idle this long; it reactivates with its state on its next message. */
  readonly passivateAfterMs?: number;
  /** Event field that carries the actor id, for routing unaddressed events (used by `@lucent/node`). */
  readonly shardBy?: string;
  readonly replyWith?: TReply;
  /** Restore-and-retry attempts after a failure (action/guard throws, snapshot load fails). Default 3. */
  readonly maxRecoveryAttempts?: number;
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
  readonly persist: { readonly everyMs: number | undefined; readonly onTransition: boolean };
  readonly passivateAfterMs: number | undefined;
  readonly shardBy: string | undefined;
  readonly replyWith: TReply;
  readonly maxRecoveryAttempts: number;
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
  const everyMs = config.persist?.everyMs;
  if (everyMs !== undefined && !isPositiveFinite(everyMs)) throw invalid('persist.everyMs', 'must be > 0');
  if (config.passivateAfterMs !== undefined && !isPositiveFinite(config.passivateAfterMs)) {
    throw invalid('passivateAfterMs', 'must be > 0');
  }
  if (config.shardBy !== undefined && (typeof config.shardBy !== 'string' || config.shardBy === '')) {
    throw invalid('shardBy', 'must be a non-empty field name');
  }
  const replyWith = (config.replyWith ?? 'context') as TReply;
  if (replyWith !== 'context' && replyWith !== 'emit') throw invalid('replyWith', "must be 'context' or 'emit'");
  const maxRecoveryAttempts = config.maxRecoveryAttempts ?? 3;
  if (!Number.isInteger(maxRecoveryAttempts) || maxRecoveryAttempts < 0) {
    throw invalid('maxRecoveryAttempts', 'must be an integer >= 0');
  }
  return Object.freeze({
    [ACTOR_BRAND]: true as const,
    type: config.type,
    machine: config.machine,
    persist: Object.freeze({ everyMs, onTransition: config.persist?.onTransition ?? false }),
    passivateAfterMs: config.passivateAfterMs,
    shardBy: config.shardBy,
    replyWith,
    maxRecoveryAttempts,
  });
}

/** True for a value made by {@link defineActor} (checked by brand, so it works across module copies). */
export function isActorDefinition(value: unknown): value is AnyActorDefinition {
  return typeof value === 'object' && value !== null && (value as { [ACTOR_BRAND]?: unknown })[ACTOR_BRAND] === true;
}

function isPositiveFinite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
