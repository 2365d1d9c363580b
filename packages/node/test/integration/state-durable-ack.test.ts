/**
 * "Acknowledged means stored", end to end: a real nats-server (JetStream KV) and a real `lucent-node` process whose
 * counter actor has the default persistence (`'durable'`). An ask's state is in KV when the ask resolves (read
 * directly from the bucket), and a SIGKILL right after a burst of acknowledged asks loses none of them: the node
 * restarted under the same id reads every acknowledged count back.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { KvStateStore } from '../../src/state/kv-state-store.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'durable';
const HEARTBEAT_MS = 250;
const ACTORS = 20;
const ASKS = 200;

const processes = new NodeProcesses();
let server: NatsServerHandle;
let nc: NatsConnection;
let kv: KvStateStore;
let cluster: ClusterClient;
let node: NodeProcess;

type Counter = { count: number };

async function startNode(): Promise<NodeProcess> {
  const started = processes.start({
    args: clusterNodeArgs('d1', { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, [
      ...['--threads', '1', '--actors', fixture('shard-actors.mjs')],
    ]),
  });
  await started.waitForLog('node.ready', 25_000);
  node = started;
  return started;
}

function counter(id: string) {
  return cluster.client.actor<{ type: 'inc' } | { type: 'get' }, Counter>('counter', id);
}

async function storedCount(id: string): Promise<number | undefined> {
  const stored = await kv.load(`counter/${id}`);
  return (stored?.snapshot as { context?: Counter } | undefined)?.context?.count;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  await startNode();
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  kv = await KvStateStore.open(nc, { cluster: CLUSTER });
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(1, 25_000);
}, 40_000);

afterAll(async () => {
  await cluster?.close();
  await nc?.close();
  await processes.killAll();
  await server?.stop();
});

describe('durable actor state (default persistence) on a real node', () => {
  it("an acknowledged ask's state is in KV when the ask resolves", async () => {
    const ref = counter('read-back');
    for (let i = 1; i <= 20; i++) {
      const reply = await ref.ask({ type: 'inc' }, { timeoutMs: 10_000 });
      expect(reply.count).toBe(i);
      // Read straight from the bucket, nothing in between: the write happened before the reply was sent.
      expect(await storedCount('read-back')).toBe(i);
    }
  });

  it('a node killed with SIGKILL right after acknowledging loses none of the acknowledged updates', async () => {
    const acked = new Map<string, number>();
    // 200 asks over 20 actors, all in flight together (many per actor per turn: group commit).
    const asks = Array.from({ length: ASKS }, (_, i) => {
      const id = `k${i % ACTORS}`;
      return counter(id)
        .ask({ type: 'inc' }, { timeoutMs: 20_000 })
        .then((reply) => acked.set(id, Math.max(acked.get(id) ?? 0, reply.count)));
    });
    await Promise.all(asks);
    node.kill(); // kill -9 the moment the last acknowledgement arrived
    await node.exited;
    expect([...acked.values()].reduce((a, b) => a + b, 0)).toBe(ASKS);
    // In KV already, before any restart.
    for (const [id, count] of acked) expect(await storedCount(id)).toBe(count);
    // And through a node restarted under the same id: each actor comes back with its acknowledged count
    // (`get` changes nothing, so a retried ask cannot count twice).
    await startNode();
    for (const [id, count] of acked) {
      const reply = await eventually(() => counter(id).ask({ type: 'get' }, { timeoutMs: 5_000 }));
      expect(reply.count).toBe(count);
    }
  }, 60_000);
});

/** Retries `attempt` (bounded): the client's view of the restarted node may lag for a heartbeat or two. */
async function eventually<T>(attempt: () => Promise<T>, boundMs = 20_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
