/**
 * The deployed registry on a node, as a {@link ShardExtension}: it loads the registry before the node reports
 * ready and follows it afterwards.
 *
 * ```
 *  start   open the registry bucket and module store ─► watch ─► every record present ─► DeployedFunctions.apply
 *          ─► serve the new names (function queue groups) ─► advertise the loaded versions (heartbeat modules)
 *          ─► refresh the durable event consumers (deployed handlers consume events as static ones do) and the
 *             actor subscriptions (deployed actor types consume their subscribed events as `--actors` ones do)
 *  change  record put/deleted ─► apply again (one apply at a time; changes during one are coalesced into the next)
 *  stop    watch off ─► the deployed versions' pools close ─► this node's bundle files are removed
 * ```
 * Calls reach deployed versions through {@link RegistryExtension.runner}, which the node's router runs
 * everything through. Nothing but a registry record makes this node load code (see `deployed-functions.ts`).
 * Without NATS, or when JetStream does not answer, the node runs its static `--functions` only (logged).
 */

import type { AnyActorDefinition, TimerHandle } from '@lucent/actors/internal';
import type { LucentError } from '@lucent/core/internal';
import type { Subscription } from 'nats';
import { modulesOf } from '../membership/join-check.js';
import type { MembershipExtension } from '../membership/membership-extension.js';
import { callNow } from '../pool/call-now.js';
import type { FunctionRunner, RunOptions } from '../router/function-runner.js';
import type { ShardContext, ShardExtension } from '../shard/shard-context.js';
import { connectWithRetry } from '../transport/connect-retry.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { ActorRecord } from './actor-record.js';
import { DeployedActors } from './deployed-actors.js';
import { DeployedFunctions } from './deployed-functions.js';
import type { FunctionRecord } from './function-record.js';
import { defaultModuleCacheDir } from './module-bundle.js';
import { openProcessCacheDir, type ProcessCacheDir } from './module-cache-dir.js';
import { serveRegistryStats } from './registry-stats.js';
import { RegistryStore, type RegistryWatch } from './registry-store.js';

/** Pause before loading again what the store did not deliver. */
const RETRY_MS = 2000;

/** Options of {@link RegistryExtension}. */

/** How long start-up keeps retrying the registry watch (a degraded NATS cluster electing leaders). */
const REGISTRY_WATCH_TIMEOUT_MS = 30_000;
export interface RegistryExtensionOptions {
  /** Told what this node hosts after each change (its heartbeats advertise the loaded versions). */
  readonly membership: MembershipExtension;
  /**
   * Root of the bundle files (default `<os tmp>/lucent-modules`): this node writes under a directory of its own
   * there, removed when it stops (`module-cache-dir.ts`).
   */
  readonly cacheDir?: string;
  /** Told the deployed actor types hosted here after each change, so their subscriptions are consumed. */
  readonly actorSubscriptions?: { refresh(definitions: readonly AnyActorDefinition[]): Promise<void> };
}

/** See the module doc. One per node. */
export class RegistryExtension implements ShardExtension {
  readonly name = 'registry';
  readonly #options: RegistryExtensionOptions;
  #deployed: DeployedFunctions | undefined = undefined;
  #deployedActors: DeployedActors | undefined = undefined;
  readonly #actorRecords = new Map<string, ActorRecord>();
  #watch: RegistryWatch | undefined = undefined;
  #stats: Subscription | undefined = undefined;
  #context: ShardContext | undefined = undefined;
  readonly #records = new Map<string, FunctionRecord>();
  #dirty = false;
  #applying: Promise<void> | undefined = undefined;
  #stopped = false;
  #retryTimer: TimerHandle | undefined = undefined;
  #cache: ProcessCacheDir | undefined = undefined;
  /** The event log did not answer the last refresh of the event consumers: worth applying again later. */
  #eventsRetryWanted = false;

  constructor(options: RegistryExtensionOptions) {
    this.#options = options;
  }

  /** Deployed ids loaded on this node (`name@version`), sorted. */
  get loaded(): string[] {
    return this.#deployed?.loaded ?? [];
  }

  /** The node's runner with deployed versions in front of `base` (usable before `start`: `base` serves all then). */
  runner(base: FunctionRunner): FunctionRunner {
    let wrapped: FunctionRunner | undefined;
    // `base` until the registry started, then deployed versions in front of it (wrapped once).
    const current = (): FunctionRunner => {
      const deployed = this.#deployed;
      if (deployed === undefined) return base;
      wrapped ??= deployed.runner(base);
      return wrapped;
    };
    return {
      call: <O = unknown>(ref: string, input: unknown, options?: RunOptions): Promise<O> =>
        current().call<O>(ref, input, options),
      callNow: (ref: string, input: unknown, options?: RunOptions): unknown => callNow(current(), ref, input, options),
    };
  }

  async start(context: ShardContext): Promise<void> {
    this.#context = context;
    const { transport, config, logger } = context;
    if (!(transport instanceof NatsTransport)) return;
    let store: RegistryStore;
    try {
      store = await RegistryStore.open(transport.natsConnection, {
        cluster: context.cluster,
        replicas: config.natsReplicas,
        clock: context.clock,
      });
    } catch (error) {
      logger.warn({ err: error }, 'registry.unavailable');
      return;
    }
    const onRefused = (ref: string, checksum: string, error: LucentError): void => {
      context.metrics.error(error.code);
      logger.error({ err: error, function: ref, checksum }, 'registry.module_refused');
    };
    this.#cache = await openProcessCacheDir(this.#options.cacheDir ?? defaultModuleCacheDir());
    const cacheDir = this.#cache.dir;
    this.#deployedActors = new DeployedActors({
      actors: context.actors,
      source: store,
      cacheDir,
      nodeTags: config.tags,
      onRefused,
    });
    this.#deployed = new DeployedFunctions({
      functions: context.functions,
      source: store,
      cacheDir,
      threads: config.threads,
      closeTimeoutMs: Math.max(1, config.drainTimeoutMs),
      clock: context.clock,
      pool: {
        shard: { id: config.shard, tags: config.tags },
        logLevel: config.logLevel,
        maxQueuedCalls: config.poolMaxQueue,
      },
      onRefused,
      onRetired: (ref) => logger.info({ function: ref }, 'registry.version_retired'),
    });
    const deployed = this.#deployed;
    this.#stats = serveRegistryStats(transport.natsConnection, context.cluster, context.nodeId, () =>
      deployed.counters(),
    );
    // Right after a NATS server was lost, the cluster may need seconds to answer the registry's consumer:
    // retry the watch (bounded) rather than fail the node's start.
    this.#watch = await connectWithRetry(
      () =>
        store.watch(
          (name, record) => {
            if (record === undefined) this.#records.delete(name);
            else this.#records.set(name, record);
            this.#schedule();
          },
          (name, error) => logger.warn({ err: error, function: name }, 'registry.record_invalid'),
          (type, record) => {
            if (record === undefined) this.#actorRecords.delete(type);
            else this.#actorRecords.set(type, record);
            this.#schedule();
          },
        ),
      {
        target: `registry of ${context.cluster}`,
        timeoutMs: REGISTRY_WATCH_TIMEOUT_MS,
        clock: context.clock,
        onRetry: ({ attempt, delayMs, error }) =>
          logger.warn({ err: error, attempt, retryInMs: delayMs }, 'registry.watch_retry'),
      },
    );
    await this.#watch.initialized;
    // The registry as it was when the watch started, loaded before the node reports ready.
    this.#schedule();
    await this.#applying;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watch?.stop();
    this.#stats?.unsubscribe();
    if (this.#retryTimer !== undefined) this.#context?.clock.clearTimeout(this.#retryTimer);
    await this.#applying;
    await this.#deployed?.close();
    await this.#cache?.remove();
  }

  async #refreshEvents(context: ShardContext): Promise<void> {
    try {
      await context.refreshEvents?.();
    } catch (error) {
      this.#eventsRetryWanted = true;
      context.logger.warn({ err: error }, 'registry.events_unavailable');
    }
  }

  async #refreshActorSubscriptions(context: ShardContext, definitions: readonly AnyActorDefinition[]): Promise<void> {
    try {
      await this.#options.actorSubscriptions?.refresh(definitions);
    } catch (error) {
      this.#eventsRetryWanted = true;
      context.logger.warn({ err: error }, 'registry.actor_subscriptions_unavailable');
    }
  }

  #schedule(): void {
    this.#dirty = true;
    this.#applying ??= this.#applyLoop().finally(() => {
      this.#applying = undefined;
    });
  }

  async #applyLoop(): Promise<void> {
    const deployed = this.#deployed;
    const context = this.#context;
    if (deployed === undefined || context === undefined) return;
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false;
      this.#eventsRetryWanted = false;
      await deployed.apply(new Map(this.#records));
      const actors = this.#deployedActors;
      await actors?.apply(new Map(this.#actorRecords));
      if (this.#stopped) return;
      for (const definition of context.functions.list()) context.serveFunction?.(definition.name);
      const actorTypes = [...new Set([...context.actorTypes, ...(actors?.types ?? [])])];
      // Retired deployed versions stay in the node's registry (disabled) but are not advertised as hosted.
      const hosted = (id: string) => !deployed.isDeployed(id) || deployed.isLoaded(id);
      this.#options.membership.membership?.setModules(modulesOf(context.functions, actorTypes, hosted));
      // Deployed event handlers consume the durable event stream as `--functions` ones do, and deployed actor
      // types their subscriptions as `--actors` ones do.
      await this.#refreshEvents(context);
      await this.#refreshActorSubscriptions(context, actors?.definitions ?? []);
      // `workers`: the deployed pool's threads now and ever started (a hot swap starts none).
      context.logger.info(
        { loaded: deployed.loaded, actorTypes: actors?.types ?? [], workers: deployed.workers },
        'registry.applied',
      );
    }
    // A module the store did not deliver (busy, reconnecting) is tried again, not left out until the next deploy.
    const retry = deployed.retryWanted || this.#deployedActors?.retryWanted === true || this.#eventsRetryWanted;
    if (retry && !this.#stopped) {
      this.#retryTimer ??= context.clock.setTimeout(() => {
        this.#retryTimer = undefined;
        if (!this.#stopped) this.#schedule();
      }, RETRY_MS);
    }
  }
}
