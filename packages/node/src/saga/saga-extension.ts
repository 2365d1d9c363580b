/**
 * The node's part of sagas: finds the sagas exported by `--actors` modules (hosted as `saga-<name>` actors by the
 * function actor directory) and the effects of `--effects`, watches the cluster's saga index, and drives the
 * running sagas whose key this node owns (`saga-driver.ts`).
 *
 * ```
 *  index watch (every entry now, then each write) ─┐
 *  ownership check, one timer per node (1 s)      ─┴─► running, not final, owned here, not driven yet ─► driveSaga
 * ```
 * A step's `waitFor` reads the saga's stored inbox (`saga-wait.ts`); the node whose actor subscription stored an
 * event for a saga calls {@link SagaExtension.wake}, which wakes that saga's waits on every node (`saga-wakeups.ts`).
 * A saga started by a client is written to the index once its actor stored the start, so the owner hears of it
 * at once; after a crash, the owner in the new view finds it in the index (the timer re-checks ownership, so a
 * move of the ring is noticed within a second) and resumes it from its stored state.
 */
import {
  isSagaDefinition,
  type SagaDefinition,
  type SagaError,
  type SagaEvent,
  type SagaState,
  sagaActorType,
} from '@lucent/actors/internal';
import {
  actorKey,
  deadLetterSubject,
  eventEnvelope,
  PlacementType,
  placeKey,
  type TimerHandle,
  type ViewSource,
} from '@lucent/core/internal';
import { encodeDeadLetter } from '../events/dead-letter.js';
import type { EventLog } from '../events/event-log.js';
import { eventLogFor } from '../events/event-log-for.js';
import { encodeEventMessage } from '../events/event-message.js';
import { toModuleUrl } from '../pool/worker-location.js';
import { nodeClient } from '../shard/node-client.js';
import { settleWithin } from '../shard/settle-within.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { EffectRegistry, loadEffects } from './effects.js';
import { driveSaga, type SagaDriverServices } from './saga-driver.js';
import type { SagaIndex } from './saga-index.js';
import { sagaIndexFor } from './saga-index-for.js';
import { SagaWakeups } from './saga-wakeups.js';
import { createStepContext, type StepServices } from './step-context.js';

/** The event type of a saga's dead letter; its data is `{ saga, id, state, error }`. */
export const SAGA_DEAD_LETTER_TYPE = 'SagaCompensationFailed';
/** How often a node re-checks which running sagas it owns. */
const OWNERSHIP_CHECK_MS = 1_000;
/** Bound on one report to a saga's actor (a durable save). */
const REPORT_TIMEOUT_MS = 30_000;

/** The consumer name saga dead letters are filed under: `saga--<name>`. */
export function sagaDeadLetterConsumer(saga: string): string {
  return `saga--${saga}`;
}

/** Options of {@link SagaExtension}. */
export interface SagaExtensionOptions {
  readonly view?: ViewSource;
  /** Default: the KV bucket on NATS, the bus's in-memory index otherwise (`saga-index-for.ts`). */
  readonly index?: SagaIndex;
  /** Membership's liveness of a node (default: only this node is alive). */
  readonly isAlive?: (nodeId: string) => boolean;
}

/** See the module doc. A node whose `--actors` export no saga starts nothing. */
export class SagaExtension implements ShardExtension {
  readonly name = 'sagas';
  readonly #options: SagaExtensionOptions;
  readonly #sagas = new Map<string, SagaDefinition>();
  /** Non-final sagas from the index: key -> (definition, id). */
  readonly #running = new Map<string, { definition: SagaDefinition; id: string }>();
  readonly #driving = new Map<string, Promise<void>>();
  /** Between steps: no new step starts (shutdown began). */
  readonly #drain = new AbortController();
  /** Steps in progress are aborted (the drain timeout passed). */
  readonly #abort = new AbortController();
  #context: ShardContext | undefined = undefined;
  #services: SagaDriverServices | undefined = undefined;
  #unwatch: (() => void) | undefined = undefined;
  #timer: TimerHandle | undefined = undefined;
  #log: Promise<EventLog> | undefined = undefined;
  #wakeups: SagaWakeups | undefined = undefined;
  /** Sagas this node drove to a final state. */
  finished = 0;

  constructor(options: SagaExtensionOptions = {}) {
    this.#options = options;
  }

  /**
   * An event for saga actor `type`/`id` was stored (its subscription delivered it): wakes that saga's waits here
   * and on the other nodes. A no-op for any other actor type.
   */
  wake(type: string, id: string): void {
    if (this.#sagas.has(type)) this.#wakeups?.wake(actorKey(type, id));
  }

  async start(context: ShardContext): Promise<void> {
    for (const saga of await loadSagas(context.config.actors)) this.#sagas.set(saga.actor.type, saga);
    if (this.#sagas.size === 0) return;
    this.#context = context;
    const effects = new EffectRegistry(await loadEffects(context.config.effects));
    const index =
      this.#options.index ?? (await sagaIndexFor(context.transport, context.cluster, context.config.natsReplicas));
    const view = this.#options.view;
    const client = nodeClient(context, view);
    // Routed like any client ask: a report reaches the saga's actor on its current owner, also when the ring
    // moved it while a step ran here (the machine ignores a report that no longer fits its state).
    const ask = (definition: SagaDefinition, id: string, event: SagaEvent) =>
      client.actor<SagaEvent, SagaState>(definition.actor.type, id).ask(event, { timeoutMs: REPORT_TIMEOUT_MS });
    const wakeups = new SagaWakeups(context.clock);
    wakeups.listen(context.transport, context.cluster);
    this.#wakeups = wakeups;
    const stepServices: StepServices = {
      client,
      effects,
      clock: context.clock,
      wakeups,
      definition: (name) => this.#sagas.get(sagaActorType(name)),
      askSaga: ask,
    };
    const isAlive = this.#options.isAlive ?? (() => false);
    this.#services = {
      clock: context.clock,
      nodeId: context.nodeId,
      isAlive,
      ask,
      stepContext: (base) => createStepContext(base, stepServices),
      deadLetter: (definition, id, state, error) => this.#deadLetter(definition, id, state, error),
      finished: async (definition, id, state) => {
        await index.put(actorKey(definition.actor.type, id), {
          saga: definition.name,
          id,
          status: state.status,
          state,
        });
        this.finished++;
        context.logger.info({ saga: definition.name, id, status: state.status }, 'saga.finished');
      },
      owns: (definition, id) => {
        const placement = placeKey(actorKey(definition.actor.type, id), view?.current());
        return placement.type !== PlacementType.Node || placement.node === context.nodeId;
      },
    };
    this.#unwatch = await index.watch((key, entry) => {
      const definition = this.#sagas.get(key.slice(0, key.indexOf('/')));
      if (definition === undefined) return;
      if (entry.status === 'completed' || entry.status === 'compensated' || entry.status === 'failed') {
        this.#running.delete(key);
        return;
      }
      this.#running.set(key, { definition, id: entry.id });
      this.#maybeDrive(key);
    });
    this.#arm();
  }

  /** No saga starts a new step from now on; steps in progress go on (and are recorded) until `stop`. */
  beginShutdown(): void {
    this.#drain.abort();
    if (this.#timer !== undefined) this.#context?.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unwatch?.();
    this.#wakeups?.close();
  }

  /** Waits up to the node's drain timeout for the steps in progress, then aborts what is left. */
  async stop(): Promise<void> {
    this.beginShutdown();
    const context = this.#context;
    const drained = Promise.allSettled([...this.#driving.values()]);
    if (context !== undefined) await settleWithin(drained, context.config.drainTimeoutMs, context.clock);
    this.#abort.abort();
    await drained;
  }

  #arm(): void {
    if (this.#drain.signal.aborted || this.#context === undefined) return;
    this.#timer = this.#context.clock.setTimeout(() => {
      for (const key of this.#running.keys()) this.#maybeDrive(key);
      this.#arm();
    }, OWNERSHIP_CHECK_MS);
  }

  #maybeDrive(key: string): void {
    const services = this.#services;
    const saga = this.#running.get(key);
    if (services === undefined || saga === undefined || this.#driving.has(key) || this.#drain.signal.aborted) return;
    if (!services.owns(saga.definition, saga.id)) return;
    const logger = this.#context!.logger;
    const driving = driveSaga(saga.definition, saga.id, services, {
      drain: this.#drain.signal,
      abort: this.#abort.signal,
    })
      .then((outcome) => {
        if (outcome === 'finished') this.#running.delete(key);
      })
      .catch((error: unknown) => {
        // Not stored (store down, or a stale owner fenced out): the next ownership check tries again.
        logger.warn({ err: error, saga: saga.definition.name, id: saga.id }, 'saga.drive_failed');
      })
      .finally(() => this.#driving.delete(key));
    this.#driving.set(key, driving);
  }

  async #deadLetter(definition: SagaDefinition, id: string, state: SagaState, error: SagaError): Promise<void> {
    const context = this.#context!;
    this.#log ??= eventLogFor(context.transport, {
      cluster: context.cluster,
      replicas: context.config.natsReplicas,
      duplicateWindowMs: context.config.eventDuplicateWindowMs,
      clock: context.clock,
    }).then(async (log) => {
      await log.ensureStreams();
      return log;
    });
    const log = await this.#log;
    const consumer = sagaDeadLetterConsumer(definition.name);
    const event = eventEnvelope(
      SAGA_DEAD_LETTER_TYPE,
      { saga: definition.name, id, state, error },
      { id: `${definition.actor.type}/${id}`, origin: context.nodeId },
    );
    const record = encodeDeadLetter({
      consumer,
      functionName: definition.name,
      eventType: SAGA_DEAD_LETTER_TYPE,
      eventId: id,
      attempts: definition.compensation.maxAttempts,
      error: { code: error.code, message: `compensation of step '${error.step}' failed: ${error.message}` },
      failedAt: context.clock.wallNow(),
      node: context.nodeId,
      streamSequence: 0,
      original: encodeEventMessage(event, context.codec),
    });
    await log.publishDeadLetter(
      deadLetterSubject(context.cluster, consumer),
      record,
      `dlq:saga:${definition.name}:${id}`,
    );
    context.logger.warn({ saga: definition.name, id, step: error.step, code: error.code }, 'saga.dead_lettered');
  }
}

/** The saga definitions exported by `modules` (already imported by the actor loader, so this hits the cache). */
async function loadSagas(modules: readonly string[]): Promise<SagaDefinition[]> {
  const sagas: SagaDefinition[] = [];
  for (const module of modules) {
    const namespace = (await import(toModuleUrl(module))) as Record<string, unknown>;
    for (const value of Object.values(namespace)) {
      for (const candidate of Array.isArray(value) ? value : [value]) {
        if (isSagaDefinition(candidate) && !sagas.includes(candidate)) sagas.push(candidate);
      }
    }
  }
  return sagas;
}
