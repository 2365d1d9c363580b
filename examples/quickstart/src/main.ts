/**
 * Lucent quick start: a three-shard cluster, a client, and traffic.
 *
 * ```
 *  nats-server (free port, JetStream) ◄──► lucent-node s1 | s2 | s3   (child processes, worker pools)
 *                     ▲
 *                     └── this process: connectCluster (membership observer) ─► calls, actors, an event
 * ```
 * Without a `nats-server` binary (or with `LUCENT_DEMO_IN_PROCESS=1`), the same three shards run in this
 * process on the in-memory transport.
 * Everything is stopped at the end (SIGTERM to the shards, SIGKILL if one lingers); bounded to under 60 s.
 * Run: `pnpm demo:cluster`.
 */
import { fileURLToPath } from 'node:url';
import { MemoryStateStore } from '@lucent/actors';
import { ConfigError } from '@lucent/core';
import {
  type ClusterClient,
  type ComposedShard,
  connectCluster,
  InMemoryBus,
  InMemoryTransport,
  resolveNodeConfig,
  startShardNode,
} from '@lucent/node';
import {
  findNatsServerBinary,
  type NatsServerHandle,
  type NodeProcess,
  startNatsServer,
  startNodeProcess,
} from '@lucent/node/internal';
import { runTraffic } from './traffic.js';

const CLUSTER = 'quickstart';
const SHARDS = ['s1', 's2', 's3'] as const;
const HEARTBEAT_MS = 500;
const TOTAL_BOUND_MS = 55_000;
const FUNCTIONS = fileURLToPath(new URL('./functions.js', import.meta.url));
const ACTORS = fileURLToPath(new URL('./actors.js', import.meta.url));
const print = (line: string): void => void process.stdout.write(`${line}\n`);

/** Whatever must be stopped at the end, most recent first. */
const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      print(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** `LUCENT_DEMO_IN_PROCESS=1` forces the in-process mode (to try it on a machine that has nats-server). */
function hasNatsServer(): boolean {
  if (process.env.LUCENT_DEMO_IN_PROCESS === '1') return false;
  try {
    findNatsServerBinary();
    return true;
  } catch (error) {
    if (ConfigError.is(error)) return false;
    throw error;
  }
}

/**
 * One `lucent-node` child process (the built CLI of @lucent/node) with the quick start's modules, flags as a user
 * would type them; http port 0 = ephemeral, so three nodes never collide. Stopped by pid (SIGTERM, then SIGKILL).
 */
function startShardProcess(shard: string, natsUrl: string): NodeProcess {
  return startNodeProcess({
    name: shard,
    args: [
      ...['--shard', shard, '--nats', natsUrl, '--cluster', CLUSTER],
      ...['--functions', FUNCTIONS, '--actors', ACTORS, '--threads', '1', '--http-port', '0'],
      ...['--heartbeat-interval-ms', String(HEARTBEAT_MS), '--log-level', 'info'],
    ],
  });
}

async function onNats(): Promise<void> {
  const server: NatsServerHandle = await startNatsServer({ jetstream: true });
  cleanups.push(() => server.stop());
  print(`nats-server on ${server.url}; starting ${SHARDS.length} lucent-node processes ...`);
  const shards = SHARDS.map((shard) => startShardProcess(shard, server.url));
  cleanups.push(async () => {
    await Promise.all(shards.map((shard) => shard.stop(5_000)));
    print(`stopped the shards (pids ${shards.map((shard) => shard.pid).join(', ')})`);
  });
  await Promise.all(shards.map((shard) => shard.waitForLog('node.ready', 30_000)));
  const cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  cleanups.push(() => cluster.close());
  await cluster.waitForMembers(SHARDS.length, 10_000);
  print(`cluster ready: ${describe(cluster)}`);
  const shardOfPid = new Map(shards.map((shard, i) => [shard.pid, SHARDS[i] as string]));
  await runTraffic({ cluster, clusterName: CLUSTER, shardOfPid, print });
}

async function inProcess(): Promise<void> {
  print(`no nats-server (or LUCENT_DEMO_IN_PROCESS=1): ${SHARDS.length} shards in this process, in-memory transport`);
  const bus = new InMemoryBus();
  const store = new MemoryStateStore(); // the KV bucket's in-memory twin, shared like the real one
  const nodes: ComposedShard[] = [];
  cleanups.push(async () => {
    await Promise.all(nodes.map((shard) => shard.node.shutdown('demo finished')));
  });
  for (const shard of SHARDS) {
    const config = resolveNodeConfig({
      flags: {
        shard,
        cluster: CLUSTER,
        functions: [FUNCTIONS],
        actors: [ACTORS],
        threads: '1',
        httpPort: '0',
        logLevel: 'warn',
        heartbeatIntervalMs: String(HEARTBEAT_MS),
      },
      machine: { cpuCount: 1 },
    });
    nodes.push(await startShardNode({ config, bus, store: () => store, processMetrics: false }));
  }
  const transport = new InMemoryTransport(bus, { cluster: CLUSTER, name: 'demo-client' });
  cleanups.push(() => transport.close());
  const cluster = await connectCluster({ transport, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  cleanups.push(() => cluster.close());
  await cluster.waitForMembers(SHARDS.length, 10_000);
  print(`cluster ready: ${describe(cluster)}`);
  await runTraffic({ cluster, clusterName: CLUSTER, shardOfPid: undefined, print });
}

function describe(cluster: ClusterClient): string {
  return cluster.view.members.map((member) => member.id).join(', ');
}

async function main(): Promise<number> {
  const started = Date.now();
  // A hard bound: whatever hangs, the children are killed and the demo exits.
  const watchdog = setTimeout(() => {
    print(`demo exceeded ${TOTAL_BOUND_MS} ms; stopping everything`);
    void cleanUp().finally(() => process.exit(1));
  }, TOTAL_BOUND_MS);
  try {
    await (hasNatsServer() ? onNats() : inProcess());
    print(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    print(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  } finally {
    await cleanUp();
    clearTimeout(watchdog);
  }
}

process.exitCode = await main();
