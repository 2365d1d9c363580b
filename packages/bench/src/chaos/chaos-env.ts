/**
 * The processes of a chaos run: nats-server (one, or a routed cluster), `lucent-node` processes hosting the chaos
 * fixtures, and a client that routes with their membership. Faults are applied here by pid: kill -9 and restart
 * of a node, SIGSTOP/SIGCONT, a NATS server restart (or kill -9 and restart of one cluster server).
 */
import { fileURLToPath } from 'node:url';
import { EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import {
  type ClusterClient,
  connectCluster,
  type NatsClusterHandle,
  type NatsServerHandle,
  NatsTransport,
  type NodeProcess,
  NodeProcesses,
  startNatsCluster,
  startNatsServer,
} from '@lucent/node/internal';
import type { ChaosOptions } from './chaos-options.js';

export const CHAOS_CLUSTER = 'chaos';
/** The `Completed` event of the chaos event handler. */
export const COMPLETED_TYPE = 'chaosRecordCompleted';

/** A compiled file of this package: from the TypeScript sources (vitest) `/src/` maps to `/dist/`. */
function built(relative: string): string {
  const url = new URL(relative, import.meta.url);
  url.pathname = url.pathname.replace('/bench/src/', '/bench/dist/');
  return fileURLToPath(url);
}

export const CHAOS_ACTORS_MODULE = built('./fixtures/chaos-actors.js');
export const CHAOS_FUNCTIONS_MODULE = built('./fixtures/chaos-functions.js');

/** A run's processes. Create with {@link ChaosEnv.start}; `stop()` always. */
export class ChaosEnv {
  readonly processes = new NodeProcesses();
  /** Node id → its current process. */
  readonly nodes = new Map<string, NodeProcess>();
  /** Node processes that exited without being killed by the run (crashes). */
  readonly unexpectedExits: string[] = [];
  /** Event id → times seen handled (its `chaosRecordCompleted` event). */
  readonly handled = new Map<string, number>();
  readonly #killed = new Set<NodeProcess>();
  #server: NatsServerHandle | undefined;
  #natsCluster: NatsClusterHandle | undefined;
  #client: ClusterClient | undefined;

  private constructor(readonly options: ChaosOptions) {}

  /** Starts NATS, the nodes and the client; resolves once the client sees every node. */
  static async start(options: ChaosOptions): Promise<ChaosEnv> {
    const env = new ChaosEnv(options);
    try {
      await env.#start();
    } catch (error) {
      await env.stop();
      throw error;
    }
    return env;
  }

  get client(): ClusterClient {
    if (this.#client === undefined) throw new Error('chaos env not started');
    return this.#client;
  }

  /** Every NATS server URL. */
  get natsUrls(): readonly string[] {
    return this.#natsCluster?.urls ?? (this.#server === undefined ? [] : [this.#server.url]);
  }

  get natsCluster(): NatsClusterHandle | undefined {
    return this.#natsCluster;
  }

  get nodeIds(): readonly string[] {
    return [...this.nodes.keys()];
  }

  async #start(): Promise<void> {
    const { options } = this;
    if (options.natsCluster) this.#natsCluster = await startNatsCluster({ size: options.natsServers });
    else this.#server = await startNatsServer({ jetstream: true });
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    // One at a time: the first creates the buckets, the others bind them.
    for (const id of ids) await this.#spawn(id).waitForLog('node.ready', 30_000);
    this.#client = await connectCluster({
      servers: [...this.natsUrls],
      cluster: CHAOS_CLUSTER,
      name: 'chaos-client',
      // Should this client create the event streams first, they get the cluster's replicas too.
      ...(options.natsCluster ? { eventReplicas: Math.min(3, options.natsServers) } : {}),
      ...(options.heartbeatMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatMs }),
    });
    await this.#client.waitForMembers(options.nodes, 30_000);
    const codec = new EnvelopeCodec();
    this.#client.client.transport.subscribe(eventSubject(CHAOS_CLUSTER, COMPLETED_TYPE), (frame) => {
      try {
        this.recordHandled(codec.decode(frame).payload);
      } catch {
        // Not ours.
      }
    });
  }

  /** Counts one `chaosRecordCompleted` payload (`{ id }`). */
  recordHandled(payload: unknown): void {
    const id = (payload as { id?: unknown } | null)?.id;
    if (typeof id === 'string') this.handled.set(id, (this.handled.get(id) ?? 0) + 1);
  }

  #args(id: string, index: number): string[] {
    const { options } = this;
    // Each node gets every server, its "own" first (nats.js shuffles them unless told not to).
    const urls = [...this.natsUrls];
    const servers = [...urls.slice(index % urls.length), ...urls.slice(0, index % urls.length)];
    const args = ['--shard', id, '--cluster', CHAOS_CLUSTER, '--nats', servers.join(','), '--http-port', '0'];
    args.push('--threads', String(options.threads), '--log-level', 'info');
    args.push('--functions', CHAOS_FUNCTIONS_MODULE, '--actors', CHAOS_ACTORS_MODULE);
    if (options.heartbeatMs !== undefined) args.push('--heartbeat-interval-ms', String(options.heartbeatMs));
    if (options.natsCluster) args.push('--nats-replicas', String(Math.min(3, options.natsServers)));
    return [...args, ...options.nodeArgs];
  }

  #spawn(id: string): NodeProcess {
    const index = Number(id.slice(1)) - 1;
    const node = this.processes.start({
      args: this.#args(id, index),
      name: id,
      stderr: this.options.verbose ? 'inherit' : 'pipe',
    });
    this.nodes.set(id, node);
    void node.exited.then((exit) => {
      if (!this.#killed.has(node)) this.unexpectedExits.push(`${id} (code ${exit.code}, signal ${exit.signal})`);
    });
    return node;
  }

  /** kill -9 of node `id`; resolves once it has exited. */
  async kill(id: string): Promise<void> {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.#killed.add(node);
    node.kill();
    await node.exited;
  }

  /** Starts node `id` again (same id and arguments); resolves when it is ready and the client sees it. */
  async restart(id: string): Promise<void> {
    await this.#spawn(id).waitForLog('node.ready', 30_000);
    await this.client.waitForMembers(this.options.nodes, 30_000);
  }

  /** Sends `signal` (SIGSTOP / SIGCONT) to node `id`. */
  signal(id: string, signal: NodeJS.Signals): void {
    this.nodes.get(id)?.signal(signal);
  }

  /**
   * The NATS fault: a single server is restarted (SIGTERM, down for `downMs`, same port and store); of a
   * cluster, the server the most nodes are connected to is killed with -9 and restarted after `downMs` with its
   * store. Resolves with the server's name once it is back (and, for a cluster, routed again).
   */
  async restartNats(downMs: number): Promise<string> {
    if (this.#server !== undefined) {
      await this.#server.crash();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await this.#server.restart();
      return 'nats';
    }
    const cluster = this.#natsCluster;
    if (cluster === undefined) return '';
    const victim = await this.busiestServer(cluster);
    await victim.crash();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await victim.restart();
    await cluster.waitForCluster(30_000);
    return victim.name;
  }

  /** The cluster server with the most `lucent-*` client connections (from its `/connz`). */
  async busiestServer(cluster: NatsClusterHandle): Promise<NatsClusterHandle['servers'][number]> {
    let best = cluster.servers[0]!;
    let most = -1;
    for (const server of cluster.servers) {
      const count = (await this.nodeConnections(server.monitorUrl)).length;
      if (count > most) {
        most = count;
        best = server;
      }
    }
    return best;
  }

  /** Names of the `lucent-<node>` connections a server has (its `/connz`); empty when it does not answer. */
  async nodeConnections(monitorUrl: string): Promise<string[]> {
    try {
      const response = await fetch(`${monitorUrl}/connz?limit=1024`, { signal: AbortSignal.timeout(1_000) });
      const body = (await response.json()) as { connections?: { name?: string }[] };
      return (body.connections ?? []).map((c) => c.name ?? '').filter((name) => /^lucent-n\d+$/.test(name));
    } catch {
      return [];
    }
  }

  /**
   * Events stored on a JetStream stream (durable events) are read back too: every `chaosRecordCompleted` the
   * stream holds counts as handled (the live subscription misses what was published while it reconnected).
   * Without such a stream (core-NATS events) nothing changes. Resolves with how many it read; never rejects.
   */
  async readCompletedFromStream(): Promise<number> {
    const transport = this.client.client.transport;
    if (!(transport instanceof NatsTransport)) return 0;
    const nc = transport.natsConnection;
    const subject = eventSubject(CHAOS_CLUSTER, COMPLETED_TYPE);
    const fromStream = new Map<string, number>();
    const codec = new EnvelopeCodec();
    try {
      const jsm = await nc.jetstreamManager();
      const stream = await jsm.streams.find(subject);
      const consumer = await nc.jetstream().consumers.get(stream, { filterSubjects: [subject] });
      for (;;) {
        let batch = 0;
        const messages = await consumer.fetch({ max_messages: 1_000, expires: 2_000 });
        for await (const message of messages) {
          batch++;
          try {
            const id = (codec.decode(message.data).payload as { id?: unknown } | null)?.id;
            if (typeof id === 'string') fromStream.set(id, (fromStream.get(id) ?? 0) + 1);
          } catch {
            // Not an envelope of ours.
          }
        }
        if (batch === 0) break;
      }
    } catch {
      // No stream holds the subject (events on core NATS), or it is not readable: the live counts stand.
    }
    // The live subscription saw a subset of what the stream stored: keep the larger count per event.
    for (const [id, times] of fromStream) this.handled.set(id, Math.max(times, this.handled.get(id) ?? 0));
    return fromStream.size;
  }

  /** Stops the client, kills every node and stops NATS. Never rejects. */
  async stop(): Promise<void> {
    for (const node of this.processes.all) this.#killed.add(node);
    await this.#client?.close().catch(() => undefined);
    await this.processes.killAll();
    await this.#server?.stop();
    await this.#natsCluster?.stop();
  }
}
