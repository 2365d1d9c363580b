/**
 * The set-up most `lucent-node` integration tests share, in one call: a real nats-server, N real `lucent-node`
 * processes ready on it, a client that sees all of them, and the `lucent` CLI pointed at the same cluster.
 *
 * ```
 *  nats-server (own, free port; JetStream unless a config is given) ◄──► lucent-node n1 | n2 | …
 *        ▲                                                              (--http-port 0, the cluster's heartbeat)
 *        ├── client: connectCluster, waits until every node is a member
 *        └── cli:    `lucent …` with LUCENT_NATS / LUCENT_CLUSTER / LUCENT_HEARTBEAT_INTERVAL_MS (+ credentials)
 *
 * const cluster = await startNodeProcessCluster({ cluster: 'c', nodes: ['n1', 'n2'], args: ['--functions', f] });
 * await cluster.client.call('add', { a: 1, b: 2 });   // cluster.clusterClient.view: the client's view
 * await cluster.cli.json('status');
 * cluster.node('n2').kill();                    // a crash; stop() for SIGTERM
 * await cluster.close();                        // client, processes (by pid), server: always all three
 * ```
 * A start that fails (a node exits, a wait times out) stops what it had started before it rejects.
 */
import type { ClusterClient } from '../client/cluster-client.js';
import { connectCluster } from '../client/cluster-client.js';
import type { LucentClient } from '../client/lucent-client.js';
import type { NatsAuth } from '../transport/nats-auth.js';
import { clusterEnv, LucentCli, natsAuthEnv } from './lucent-cli.js';
import { type NatsServerHandle, type NatsServerOptions, startNatsServer } from './nats-server.js';
import { type NodeProcess, NodeProcesses } from './node-process.js';

/** Where and how fast the nodes of a test cluster talk. */
export interface ClusterNodeOptions {
  readonly cluster: string;
  readonly natsUrl: string;
  readonly heartbeatMs: number;
}

/**
 * Arguments of one `lucent-node` of a test cluster: node `id` on `natsUrl`, an OS-chosen HTTP port and the
 * cluster's heartbeat, followed by `extra` (modules, threads, ...).
 */
export function clusterNodeArgs(id: string, options: ClusterNodeOptions, extra: readonly string[]): string[] {
  return [
    ...['--shard', id, '--cluster', options.cluster, '--nats', options.natsUrl, '--http-port', '0'],
    ...['--heartbeat-interval-ms', String(options.heartbeatMs), ...extra],
  ];
}

/** Options of {@link startNodeProcessCluster}. */
export interface NodeProcessClusterOptions {
  /** Cluster name (subjects, buckets). */
  readonly cluster: string;
  /** Node ids, started in this order. */
  readonly nodes: readonly string[];
  /** Arguments every node gets after the cluster's own (modules, `--threads`, …). */
  readonly args?: readonly string[];
  /** Arguments of one node, after `args` (its `--tags`, …). */
  readonly nodeArgs?: Readonly<Record<string, readonly string[]>>;
  /** Heartbeat of the nodes and the client (default 200 ms). */
  readonly heartbeatMs?: number;
  /** The nats-server to start (default `{ jetstream: true }`). Ignored with `server`. */
  readonly nats?: NatsServerOptions;
  /** Run on this server instead of starting one; {@link NodeProcessCluster.close} then leaves it running. */
  readonly server?: NatsServerHandle;
  /** NATS credentials of the nodes (as `LUCENT_NATS_*`), the client and the CLI. */
  readonly auth?: NatsAuth;
  /** How long each node may take to log `node.ready`, and the client to see them all (default 20 s). */
  readonly readyTimeoutMs?: number;
  /** The nodes' stderr: collected (`'pipe'`, default) or passed through (`'inherit'`: benches). */
  readonly stderr?: 'pipe' | 'inherit';
  /** The client's connection name (default the client's own). */
  readonly clientName?: string;
}

/** Default heartbeat of a test cluster: quick to form and to notice a dead node (benches pass the nodes' default). */
export const TEST_HEARTBEAT_MS = 200;

/** A running cluster of processes. Create with {@link startNodeProcessCluster}. */
export class NodeProcessCluster {
  /** Not for direct use: see {@link startNodeProcessCluster}. */
  constructor(
    readonly server: NatsServerHandle,
    /** Every node process, in start order (tracked: {@link close} kills them by pid). */
    readonly processes: NodeProcesses,
    /** The `node.ready` log line of each node (its `httpPort`, …), by id. */
    readonly ready: ReadonlyMap<string, Record<string, unknown>>,
    /** The client with its membership view (`view`, `waitForMembers`); {@link client} calls through it. */
    readonly clusterClient: ClusterClient,
    readonly cli: LucentCli,
    readonly ownsServer: boolean,
  ) {}

  /** The client (call, actor, emit, on). */
  get client(): LucentClient {
    return this.clusterClient.client;
  }

  /** The node processes, in start order. */
  get nodes(): readonly NodeProcess[] {
    return this.processes.all;
  }

  /** The process of node `id`; throws a `RangeError` for an id the cluster was not started with (a test bug). */
  node(id: string): NodeProcess {
    const found = this.processes.all.find((node) => node.name === id);
    if (found === undefined) throw new RangeError(`no node '${id}' in this test cluster`);
    return found;
  }

  /** The HTTP port node `id` listens on (from its `node.ready` line). */
  httpPort(id: string): number {
    return this.ready.get(id)?.httpPort as number;
  }

  /** Closes the client, kills every process (by pid) and stops the server it started. Never rejects. */
  async close(): Promise<void> {
    await this.clusterClient.close().catch(() => undefined);
    await this.processes.killAll();
    if (this.ownsServer) await this.server.stop();
  }
}

/** Starts the cluster of the module doc; resolves once every node is ready and a member in the client's view. */
export async function startNodeProcessCluster(options: NodeProcessClusterOptions): Promise<NodeProcessCluster> {
  const heartbeatMs = options.heartbeatMs ?? TEST_HEARTBEAT_MS;
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const server = options.server ?? (await startNatsServer(options.nats ?? { jetstream: true }));
  const processes = new NodeProcesses();
  const authEnv = options.auth === undefined ? {} : natsAuthEnv(options.auth);
  let client: ClusterClient | undefined;
  try {
    const where = { cluster: options.cluster, natsUrl: server.url, heartbeatMs };
    const nodes = options.nodes.map((id) =>
      processes.start({
        name: id,
        args: clusterNodeArgs(id, where, [...(options.args ?? []), ...(options.nodeArgs?.[id] ?? [])]),
        env: authEnv,
        ...(options.stderr === undefined ? {} : { stderr: options.stderr }),
      }),
    );
    const lines = await Promise.all(nodes.map((node) => node.waitForLog('node.ready', readyTimeoutMs)));
    client = await connectCluster({
      servers: server.url,
      cluster: options.cluster,
      heartbeatIntervalMs: heartbeatMs,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.clientName === undefined ? {} : { name: options.clientName }),
    });
    await client.waitForMembers(options.nodes.length, readyTimeoutMs);
    const ready = new Map(options.nodes.map((id, i) => [id, lines[i] as Record<string, unknown>]));
    const cli = new LucentCli({ ...clusterEnv(server.url, options.cluster, heartbeatMs), ...authEnv });
    return new NodeProcessCluster(server, processes, ready, client, cli, options.server === undefined);
  } catch (error) {
    await client?.close().catch(() => undefined);
    await processes.killAll();
    if (options.server === undefined) await server.stop();
    throw error;
  }
}
