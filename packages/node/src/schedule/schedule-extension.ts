/**
 * The node's part of cron schedules: a {@link CronScheduler} over the functions of `--functions` that declare a
 * `schedule`, with the ledger in the cluster's `lucent-<cluster>-schedules` KV bucket on NATS (an in-memory store
 * otherwise, or the one passed in), ownership by the ring (`placeKey('schedule/<fn>')`, the live view), and each
 * tick run in the node's pool. A tick's run is a call with `ctx.event = { id: 'schedule:<fn>:<tickMs>', attempt:
 * 1 }`; its result is published as `${fn}Completed` (core NATS, like one-way events), with `{ tickMs, result }`.
 */
import { MemoryStateStore, type StateStore } from '@lucent/actors/internal';
import {
  eventEnvelope,
  eventSubject,
  type FunctionDefinition,
  PlacementType,
  placeKey,
  type ViewSource,
} from '@lucent/core/internal';
import { completedEventType } from '../router/event-dispatcher.js';
import { createInlineRunner } from '../router/function-runner.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { kvBucketName } from '../state/kv-keys.js';
import { KvStateStore } from '../state/kv-state-store.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { CronScheduler } from './cron-scheduler.js';

/** Options of {@link ScheduleExtension}. */
export interface ScheduleExtensionOptions {
  /** Where ownership is read; default: this node owns every schedule (standalone). */
  readonly view?: ViewSource;
  /** The ledger; default the KV bucket on NATS, an in-memory store otherwise. */
  readonly ledger?: StateStore;
}

/** The id a scheduled run sees as `ctx.event.id`: one per function and tick. */
export function scheduledRunId(functionName: string, tickMs: number): string {
  return `schedule:${functionName}:${tickMs}`;
}

/** See the module doc. A node without scheduled functions starts nothing. */
export class ScheduleExtension implements ShardExtension {
  readonly name = 'schedules';
  readonly #options: ScheduleExtensionOptions;
  #scheduler: CronScheduler | undefined = undefined;

  constructor(options: ScheduleExtensionOptions = {}) {
    this.#options = options;
  }

  /** The running scheduler (counters), or `undefined` when the node has no scheduled functions. */
  get scheduler(): CronScheduler | undefined {
    return this.#scheduler;
  }

  async start(context: ShardContext): Promise<void> {
    const scheduled = context.functions
      .list()
      .filter(
        (definition) => definition.schedule !== undefined && context.functions.find(definition.name) === definition,
      );
    if (scheduled.length === 0) return;
    const ledger = this.#options.ledger ?? (await openLedger(context));
    const runner = context.pool ?? createInlineRunner(context.functions, { clock: context.clock });
    const { view } = this.#options;
    const { logger, nodeId, transport, codec, cluster } = context;
    const scheduler = new CronScheduler({
      functions: scheduled,
      ledger,
      clock: context.clock,
      owns: (key) => {
        const placement = placeKey(key, view?.current());
        return placement.type !== PlacementType.Node || placement.node === nodeId;
      },
      fire: async (definition: FunctionDefinition, tickMs: number) => {
        const id = scheduledRunId(definition.name, tickMs);
        const result = await runner.call(definition.id, definition.schedule!.input, { event: { id, attempt: 1 } });
        logger.info({ fn: definition.name, tick: new Date(tickMs).toISOString() }, 'schedule.fired');
        const type = completedEventType(definition.name);
        const completed = eventEnvelope(type, { tickMs, result }, { id, origin: nodeId });
        transport.send(eventSubject(cluster, type), codec.encode(completed));
      },
      onError: (definition, error) => logger.warn({ err: error, fn: definition.name }, 'schedule.fire_failed'),
    });
    this.#scheduler = scheduler;
    scheduler.start();
    logger.debug({ schedules: scheduled.map((d) => `${d.name} ${d.schedule!.cron}`) }, 'schedule.started');
  }

  async stop(): Promise<void> {
    await this.#scheduler?.stop();
  }
}

function openLedger(context: ShardContext): Promise<StateStore> | StateStore {
  if (!(context.transport instanceof NatsTransport)) return new MemoryStateStore();
  return KvStateStore.open(context.transport.natsConnection, {
    bucket: kvBucketName(context.cluster, 'schedules'),
    replicas: context.config.natsReplicas,
  });
}
