/**
 * The cluster a `node/*` scenario measures: its own nats-server (JetStream), `lucent-node` processes (the built
 * CLI) and this process as the client (`connectCluster`, waiting until every node is a member). It is the
 * integration tests' harness (`startNodeProcessCluster`) with a bench's settings: the nodes' default heartbeat,
 * their stderr passed through, and time to start on a loaded machine. `close()` stops the client, the processes
 * (by pid) and the server.
 */
import { DEFAULT_HEARTBEAT_INTERVAL_MS, type NodeProcessCluster, startNodeProcessCluster } from '@lucent/node/internal';

/** What differs between the scenarios' clusters. */
export interface BenchClusterOptions {
  /** Cluster name (one per scenario, so leftovers of one never meet another). */
  readonly cluster: string;
  /** Shard ids of the `lucent-node` processes. */
  readonly nodes: readonly string[];
  /** Arguments of every node after `--shard`, `--nats`, `--cluster` and `--http-port 0` (modules, threads, …). */
  readonly args: readonly string[];
  /** The client's connection name. */
  readonly clientName: string;
}

/** Starts the cluster of the module doc; rejects (having stopped what it started) when a node does not come up. */
export function startBenchCluster(options: BenchClusterOptions): Promise<NodeProcessCluster> {
  return startNodeProcessCluster({
    ...options,
    heartbeatMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
    stderr: 'inherit',
    readyTimeoutMs: 30_000,
  });
}
