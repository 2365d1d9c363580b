/**
 * A whole Lucent cluster in the test process: `nodes` real shard nodes (`startShardNode`, what `lucent-node` runs)
 * and a client that routes with the cluster's membership, on the in-memory transport or on a real nats-server.
 *
 * ```
 *  transport 'memory'   one InMemoryBus ◄──► node-1 | node-2 | …  (+ one shared MemoryStateStore: the KV twin)
 *  transport 'nats'     nats-server (own, JetStream, free port) ◄──► node-1 | node-2 | …  (KV state + leases)
 *                                  ▲
 *                                  └── client: connectCluster-style, membership observer, all nodes members
 * ```
 * Messages between nodes and the client cross the codec like on the wire, so a value that cannot be encoded
 * fails in the test. Functions run in each node's worker pool: the modules must be JavaScript a worker thread
 * can import (and `@lucent/node` must be built, which an installed package is).
 *
 * Stopping and killing a node:
 * - `stopNode(id)`: graceful, like SIGTERM to `lucent-node`: the node leaves (the others move its keys at
 *   once), drains in-flight work, saves and releases its actors.
 * - `killNode(id)`: a crash, as close as one process allows. The node's connection is cut first, so it sends
 *   no leave and answers nothing more (requests in flight on it get no answer: callers time out); its actors
 *   save nothing more (memory: its door to the shared store is shut; NATS: its connection is gone, its activation
 *   leases stay held). The others notice only when its heartbeats stop (`deadAfterMs`), then take its keys and
 *   reactivate its actors from their last saved state. Its timers and pool are then released in the background.
 */
import { MemoryStateStore } from '@lucent/actors/internal';
import { type ClusterView, ConfigError, DEFAULT_CLUSTER, TimeoutError } from '@lucent/core/internal';
import { type ClusterClient, connectCluster } from '../client/cluster-client.js';
import type { LucentClient } from '../client/lucent-client.js';
import type { LogLevel } from '../config/node-config.js';
import { resolveNodeConfig } from '../config/resolve-config.js';
import type { Membership } from '../membership/membership.js';
import { type ComposedShard, startShardNode } from '../shard/start-shard-node.js';
import { InMemoryBus } from '../transport/in-memory-bus.js';
import { InMemoryTransport } from '../transport/in-memory-transport.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { Transport, TransportOptions } from '../transport/transport.js';
import { CrashableStateStore } from './crashable-state-store.js';
import { type NatsServerHandle, startNatsServer } from './nats-server.js';

/** Options of {@link createTestCluster}. */
export interface TestClusterOptions {
  /** How many nodes (ids `node-1` … `node-<n>`), or their ids (NATS subject tokens). */
  readonly nodes: number | readonly string[];
  /** `'memory'` (default): one in-memory bus in this process. `'nats'`: a real nats-server (see `servers`). */
  readonly transport?: 'memory' | 'nats';
  /** Function modules every node loads (`--functions`): paths, `file:` URLs or bare specifiers. */
  readonly functions?: readonly (string | URL)[];
  /** Actor modules every node loads (`--actors`). */
  readonly actors?: readonly (string | URL)[];
  /** With `'nats'`: use these servers (JetStream enabled) instead of starting a nats-server. */
  readonly servers?: string | readonly string[];
  /** Cluster name (subjects, KV buckets); default `lucent`, as nodes and clients default to. */
  readonly cluster?: string;
  /** Worker threads per node (default 1). */
  readonly threads?: number;
  /** Membership heartbeat period of nodes and client (default 100 ms). */
  readonly heartbeatIntervalMs?: number;
  /** A silent node is dead after this long (default 3 × `heartbeatIntervalMs`). */
  readonly deadAfterMs?: number;
  /** Shutdown bound on in-flight work per node (default 2000 ms). */
  readonly drainTimeoutMs?: number;
  /** Most forwards per message (default the router's). */
  readonly hopLimit?: number;
  /** The nodes' log level (default `silent`). */
  readonly logLevel?: LogLevel;
  /** The client's default call timeout (default the client's). */
  readonly defaultTimeoutMs?: number;
  /** Bound on each wait for membership (start, `startNode`; default 10 000 ms). */
  readonly readyTimeoutMs?: number;
}

/** One node of a {@link TestCluster}. */
export interface TestClusterNode {
  readonly id: string;
  /** The running shard: `node` (ShardNode), `membership`, `router` (its stats), `functions`. */
  readonly shard: ComposedShard;
  readonly state: 'running' | 'stopped' | 'killed';
}

/** A running test cluster. Create with {@link createTestCluster}; `close()` when done. */
export interface TestCluster {
  /** Routes with the cluster's membership (an observer on its own connection). */
  readonly client: LucentClient;
  /** The client with its membership view (`view`, `waitForMembers`). */
  readonly clusterClient: ClusterClient;
  /** The client's current view (members sorted by id). */
  readonly view: ClusterView;
  /** Every node started so far (a restarted id appears again), in start order. */
  readonly nodes: readonly TestClusterNode[];
  /** With `'nats'`: the server URL(s) the nodes use. */
  readonly servers: readonly string[];
  /** With `'memory'`: the bus every connection shares. */
  readonly bus: InMemoryBus | undefined;
  /** With `'memory'`: the actor state store every node shares (the KV twin). */
  readonly store: MemoryStateStore | undefined;
  /** The running node `id`. Throws `ConfigError` if there is none. */
  node(id: string): TestClusterNode;
  /**
   * A new raw connection to the cluster's transport (e.g. for a client with its own view or clock), closed by
   * `close()`. `options.cluster` is always the cluster's.
   */
  connect(options?: TransportOptions): Promise<Transport>;
  /**
   * Starts node `id` (a new one, or again after stop/kill) and resolves once it and the client see it as a member.
   * Rejects with `ConfigError` if `id` is running, with the node's start error, or `TimeoutError`.
   */
  startNode(id: string): Promise<TestClusterNode>;
  /** Graceful stop of a running node (see the module doc). Resolves once it has shut down. */
  stopNode(id: string): Promise<void>;
  /** Simulated crash of a running node (see the module doc). Resolves once it is cut off. */
  killNode(id: string): Promise<void>;
  /** Resolves with the client's view once `predicate` holds for it; rejects with `TimeoutError` after `timeoutMs`. */
  waitForView(predicate: (view: ClusterView) => boolean, timeoutMs?: number): Promise<ClusterView>;
  /** Stops the client, every node, the connections and the nats-server it started. Idempotent; never rejects. */
  close(): Promise<void>;
}

const DEFAULT_HEARTBEAT_MS = 100;

/**
 * Starts `nodes` shard nodes and a client, and resolves once every node and the client see all nodes as members.
 * Rejects with a node's start error (`ConfigError` for a module that fails to import, …), with `ConfigError` when
 * `'nats'` has no `servers` and no nats-server binary is found, or `TimeoutError`; whatever had started is closed.
 */
export async function createTestCluster(options: TestClusterOptions): Promise<TestCluster> {
  const cluster = new RunningTestCluster(options);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

interface NodeEntry {
  readonly id: string;
  readonly shard: ComposedShard;
  state: 'running' | 'stopped' | 'killed';
  /** Memory only: this node's door to the shared store. */
  readonly door: CrashableStateStore | undefined;
  /** The background shutdown of a killed node. */
  ending: Promise<void> | undefined;
}

class RunningTestCluster implements TestCluster {
  readonly bus: InMemoryBus | undefined;
  readonly store: MemoryStateStore | undefined;
  readonly #options: TestClusterOptions;
  readonly #ids: readonly string[];
  readonly #cluster: string;
  readonly #heartbeatMs: number;
  readonly #entries: NodeEntry[] = [];
  readonly #connections: Transport[] = [];
  #servers: readonly string[] = [];
  #natsServer: NatsServerHandle | undefined = undefined;
  #clusterClient: ClusterClient | undefined = undefined;
  #closing: Promise<void> | undefined = undefined;

  constructor(options: TestClusterOptions) {
    this.#options = options;
    this.#ids =
      typeof options.nodes === 'number'
        ? Array.from({ length: options.nodes }, (_, i) => `node-${i + 1}`)
        : [...options.nodes];
    if (this.#ids.length === 0 || new Set(this.#ids).size !== this.#ids.length) {
      throw new ConfigError({
        subject: 'createTestCluster',
        field: 'nodes',
        reason: 'need distinct node ids, at least one',
      });
    }
    this.#cluster = options.cluster ?? DEFAULT_CLUSTER;
    this.#heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
    const memory = (options.transport ?? 'memory') === 'memory';
    this.bus = memory ? new InMemoryBus() : undefined;
    this.store = memory ? new MemoryStateStore() : undefined;
  }

  get clusterClient(): ClusterClient {
    if (this.#clusterClient === undefined) throw new TypeError('the test cluster is not started');
    return this.#clusterClient;
  }

  get client(): LucentClient {
    return this.clusterClient.client;
  }

  get view(): ClusterView {
    return this.clusterClient.view;
  }

  get nodes(): readonly TestClusterNode[] {
    return this.#entries;
  }

  get servers(): readonly string[] {
    return this.#servers;
  }

  async start(): Promise<void> {
    if (this.bus === undefined) {
      const given = this.#options.servers;
      if (given === undefined) {
        this.#natsServer = await startNatsServer({ jetstream: true });
        this.#servers = [this.#natsServer.url];
      } else {
        this.#servers = typeof given === 'string' ? [given] : [...given];
      }
    }
    // Nodes one after the other: each joins a cluster the earlier ones already form.
    for (const id of this.#ids) await this.#startShard(id);
    const deadAfterMs = this.#options.deadAfterMs;
    this.#clusterClient = await connectCluster({
      transport: await this.connect(),
      cluster: this.#cluster,
      heartbeatIntervalMs: this.#heartbeatMs,
      ...(deadAfterMs === undefined ? {} : { deadAfterMs }),
      ...(this.#options.defaultTimeoutMs === undefined ? {} : { defaultTimeoutMs: this.#options.defaultTimeoutMs }),
    });
    await this.#untilAllSee(this.#ids);
  }

  node(id: string): TestClusterNode {
    const entry = this.#running(id);
    if (entry === undefined) {
      throw new ConfigError({ subject: 'test cluster', field: 'node', reason: `no running node '${id}'` });
    }
    return entry;
  }

  async connect(options: TransportOptions = {}): Promise<Transport> {
    const transport =
      this.bus === undefined
        ? await NatsTransport.connect({ ...options, servers: this.#servers, cluster: this.#cluster })
        : new InMemoryTransport(this.bus, { ...options, cluster: this.#cluster });
    this.#connections.push(transport);
    return transport;
  }

  async startNode(id: string): Promise<TestClusterNode> {
    if (this.#running(id) !== undefined) {
      throw new ConfigError({ subject: 'test cluster', field: 'node', reason: `node '${id}' is running` });
    }
    const entry = await this.#startShard(id);
    await this.#untilAllSee(this.#entries.filter((e) => e.state === 'running').map((e) => e.id));
    return entry;
  }

  async stopNode(id: string): Promise<void> {
    const entry = this.node(id) as NodeEntry;
    entry.state = 'stopped';
    await entry.shard.node.shutdown('test cluster: stopNode');
  }

  async killNode(id: string): Promise<void> {
    const entry = this.node(id) as NodeEntry;
    entry.state = 'killed';
    entry.door?.crash();
    const transport = entry.shard.node.context.transport;
    // Cut the connection without a drain: nothing queued on it goes out (no leave, no late answers).
    if (transport instanceof NatsTransport) await transport.natsConnection.close();
    else await transport.close();
    // Release timers, pool and HTTP port; what shutdown tries to send or save now fails, as in a crash.
    entry.ending = entry.shard.node.shutdown('test cluster: killNode');
  }

  waitForView(predicate: (view: ClusterView) => boolean, timeoutMs?: number): Promise<ClusterView> {
    const membership = this.clusterClient.membership;
    return untilView(membership, predicate, timeoutMs ?? this.#readyTimeoutMs(), 'the test cluster client');
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#clusterClient?.close().catch(() => undefined);
    await Promise.all(
      this.#entries.map((entry) =>
        entry.state === 'running' ? entry.shard.node.shutdown('test cluster closed') : entry.ending,
      ),
    );
    await Promise.all(this.#connections.map((transport) => transport.close().catch(() => undefined)));
    await this.#natsServer?.stop();
  }

  #running(id: string): NodeEntry | undefined {
    return this.#entries.find((entry) => entry.id === id && entry.state === 'running');
  }

  #readyTimeoutMs(): number {
    return this.#options.readyTimeoutMs ?? 10_000;
  }

  async #startShard(id: string): Promise<NodeEntry> {
    const { functions = [], actors = [] } = this.#options;
    const config = resolveNodeConfig({
      flags: {
        shard: id,
        cluster: this.#cluster,
        ...(this.#servers.length === 0 ? {} : { nats: [...this.#servers] }),
        functions: functions.map(moduleRef),
        actors: actors.map(moduleRef),
        threads: String(this.#options.threads ?? 1),
        httpPort: '0',
        logLevel: this.#options.logLevel ?? 'silent',
        heartbeatIntervalMs: String(this.#heartbeatMs),
        drainTimeoutMs: String(this.#options.drainTimeoutMs ?? 2_000),
      },
      machine: { cpuCount: 1 },
    });
    const shared = this.store;
    const door = shared === undefined ? undefined : new CrashableStateStore(shared, id);
    const deadAfterMs = this.#options.deadAfterMs;
    const shard = await startShardNode({
      config,
      httpHost: '127.0.0.1',
      processMetrics: false,
      ...(this.bus === undefined ? {} : { bus: this.bus }),
      ...(door === undefined ? {} : { store: () => door }),
      ...(deadAfterMs === undefined ? {} : { membership: { deadAfterMs } }),
      ...(this.#options.hopLimit === undefined ? {} : { hopLimit: this.#options.hopLimit }),
    });
    const entry: NodeEntry = { id, shard, state: 'running', door, ending: undefined };
    this.#entries.push(entry);
    return entry;
  }

  /** Every running node's membership and the client's see exactly `ids` (when the client exists). */
  async #untilAllSee(ids: readonly string[]): Promise<void> {
    const expected = [...ids].sort().join(',');
    const sees = (view: ClusterView): boolean => view.members.map((m) => m.id).join(',') === expected;
    const watchers: Promise<ClusterView>[] = [];
    for (const entry of this.#entries) {
      const membership = entry.state === 'running' ? entry.shard.membership.membership : undefined;
      if (membership !== undefined) {
        watchers.push(untilView(membership, sees, this.#readyTimeoutMs(), `node ${entry.id}`));
      }
    }
    if (this.#clusterClient !== undefined) watchers.push(this.waitForView(sees));
    await Promise.all(watchers);
  }
}

/** A module reference as `--functions` / `--actors` take it. */
function moduleRef(module: string | URL): string {
  return module instanceof URL ? module.href : module;
}

/** Resolves once `predicate` holds for `membership.view` (checked now and after each membership event). */
function untilView(
  membership: Membership,
  predicate: (view: ClusterView) => boolean,
  timeoutMs: number,
  who: string,
): Promise<ClusterView> {
  if (predicate(membership.view)) return Promise.resolve(membership.view);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      remove();
      reject(new TimeoutError({ target: `cluster view of ${who}`, timeoutMs }));
    }, timeoutMs);
    const remove = membership.onEvent(() => {
      if (!predicate(membership.view)) return;
      clearTimeout(timer);
      remove();
      resolve(membership.view);
    });
  });
}
