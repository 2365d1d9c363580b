/**
 * Effect handlers: the declared I/O a saga step may perform (an HTTP call, a database write), registered on the
 * node from `--effects` modules. Each runs behind cockatiel policies, outermost first:
 *
 * ```
 *  retry (maxAttempts, exponential backoff) ─► circuit breaker (opens after N consecutive failures,
 *  half-open after halfOpenAfterMs) ─► timeout (aborts ctx.signal) ─► handler(args, { signal, idempotencyKey })
 * ```
 * A timeout surfaces as `TimeoutError`, an open circuit as `NodeUnavailableError` (node `effect:<name>`), an
 * unknown name as `UnknownEffectError`. The breaker is per effect and per node.
 */
import {
  ConfigError,
  isValidName,
  NodeUnavailableError,
  TimeoutError,
  UnknownEffectError,
} from '@lucent/core/internal';
import {
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
  type IPolicy,
  isBrokenCircuitError,
  isTaskCancelledError,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { isUnknownExtensionError, TYPESCRIPT_HINT } from '../pool/worker-loader.js';
import { toModuleUrl } from '../pool/worker-location.js';

/** Brand of effect definitions (`Symbol.for`: the same in every module copy). */
export const EFFECT_BRAND: unique symbol = Symbol.for('lucent.effect');

/** What an effect handler gets besides its arguments. */
export interface EffectContext {
  /** Aborted at the effect's timeout (and when the step's own bound passes). */
  readonly signal: AbortSignal;
  /** The calling step's idempotency key (`<sagaId>:<step>`), for the other side to dedup. */
  readonly idempotencyKey: string;
}

/** An effect as declared. */
export interface EffectSpec<A = unknown, R = unknown> {
  readonly name: string;
  run(args: A, ctx: EffectContext): R | Promise<R>;
  /** Bound on one attempt (ms); default 10 000. */
  readonly timeoutMs?: number;
  /** Attempts in all (default 1) and the first backoff (default 100 ms, doubling, capped at 10 s). */
  readonly retry?: { readonly maxAttempts?: number; readonly backoffMs?: number };
  /** Opens after `failures` consecutive failures (default 5) for `halfOpenAfterMs` (default 10 000). */
  readonly circuitBreaker?: { readonly failures?: number; readonly halfOpenAfterMs?: number };
}

/** A validated effect. */
export interface EffectDefinition<A = unknown, R = unknown> extends EffectSpec<A, R> {
  readonly [EFFECT_BRAND]: true;
}

/** Declares an effect handler for an `--effects` module. Throws `ConfigError` for a bad name, handler or option. */
export function defineEffect<A = unknown, R = unknown>(spec: EffectSpec<A, R>): EffectDefinition<A, R> {
  const subject = `effect:${String(spec?.name)}`;
  if (!isValidName(spec?.name)) throw new ConfigError({ subject, field: 'name', reason: 'invalid name' });
  if (typeof spec.run !== 'function') throw new ConfigError({ subject, field: 'run', reason: 'must be a function' });
  const positive = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v > 0);
  if (!positive(spec.timeoutMs) || !positive(spec.retry?.maxAttempts) || !positive(spec.circuitBreaker?.failures)) {
    throw new ConfigError({ subject, field: 'options', reason: 'timeoutMs, retry.maxAttempts, failures must be > 0' });
  }
  return Object.freeze({ ...spec, [EFFECT_BRAND]: true as const });
}

/** True for a value made by {@link defineEffect}. */
export function isEffectDefinition(value: unknown): value is EffectDefinition {
  return typeof value === 'object' && value !== null && (value as { [EFFECT_BRAND]?: unknown })[EFFECT_BRAND] === true;
}

interface RegisteredEffect {
  readonly definition: EffectDefinition;
  readonly policy: IPolicy;
  readonly timeoutMs: number;
}

/** The effects of a node, each with its policies. */
export class EffectRegistry {
  readonly #effects = new Map<string, RegisteredEffect>();

  constructor(definitions: readonly EffectDefinition[]) {
    for (const definition of definitions) {
      if (this.#effects.has(definition.name)) {
        throw new ConfigError({
          subject: 'lucent-node option --effects',
          field: 'effects',
          reason: `effect '${definition.name}' is defined twice`,
        });
      }
      const timeoutMs = definition.timeoutMs ?? 10_000;
      const initialDelay = definition.retry?.backoffMs ?? 100;
      const policy = wrap(
        retry(handleAll, {
          maxAttempts: Math.max(0, (definition.retry?.maxAttempts ?? 1) - 1),
          backoff: new ExponentialBackoff({ initialDelay, maxDelay: Math.max(initialDelay, 10_000) }),
        }),
        circuitBreaker(handleAll, {
          halfOpenAfter: definition.circuitBreaker?.halfOpenAfterMs ?? 10_000,
          breaker: new ConsecutiveBreaker(definition.circuitBreaker?.failures ?? 5),
        }),
        timeout(timeoutMs, TimeoutStrategy.Aggressive),
      );
      this.#effects.set(definition.name, { definition, policy, timeoutMs });
    }
  }

  /** Names of the registered effects. */
  get names(): string[] {
    return [...this.#effects.keys()];
  }

  /**
   * Runs effect `name` with `args` under its policies. Rejects with `UnknownEffectError`, `TimeoutError`,
   * `NodeUnavailableError` (circuit open), or what the handler threw on its last attempt.
   */
  async run(name: string, args: unknown, idempotencyKey: string, signal?: AbortSignal): Promise<unknown> {
    const effect = this.#effects.get(name);
    if (effect === undefined) throw new UnknownEffectError({ name });
    try {
      return await effect.policy.execute(
        ({ signal: attemptSignal }) => effect.definition.run(args, { signal: attemptSignal, idempotencyKey }),
        signal,
      );
    } catch (error) {
      if (isTaskCancelledError(error))
        throw new TimeoutError({ target: `effect ${name}`, timeoutMs: effect.timeoutMs }, { cause: error });
      if (isBrokenCircuitError(error)) {
        throw new NodeUnavailableError(
          { node: `effect:${name}`, reason: 'circuit open after repeated failures' },
          { cause: error },
        );
      }
      throw error;
    }
  }
}

/** Imports `--effects` modules and returns their effect definitions. Rejects with `ConfigError` (field `effects`). */
export async function loadEffects(modules: readonly string[]): Promise<EffectDefinition[]> {
  const found: EffectDefinition[] = [];
  for (const module of modules) {
    let namespace: Record<string, unknown>;
    try {
      namespace = (await import(toModuleUrl(module))) as Record<string, unknown>;
    } catch (cause) {
      const reason = isUnknownExtensionError(cause)
        ? `cannot import '${module}': ${TYPESCRIPT_HINT}`
        : `cannot import '${module}' (see the cause)`;
      throw new ConfigError({ subject: 'lucent-node option --effects', field: 'effects', reason }, { cause });
    }
    const before = found.length;
    for (const value of Object.values(namespace)) {
      for (const candidate of Array.isArray(value) ? value : [value]) {
        if (isEffectDefinition(candidate) && !found.includes(candidate)) found.push(candidate);
      }
    }
    if (found.length === before) {
      throw new ConfigError({
        subject: 'lucent-node option --effects',
        field: 'effects',
        reason: `'${module}' exports no effect (made by defineEffect)`,
      });
    }
  }
  return found;
}
