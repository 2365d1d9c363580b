/**
 * `startNatsCluster` and Lucent on a NATS cluster: three routed nats-server processes (a JetStream store each),
 * two `lucent-node` processes given the whole server list (`--nats a,b,c`) and `--nats-replicas 3`. The state and
 * lease buckets get 3 replicas; kill -9 of the server most nodes use does not lose an acknowledged update, the
 * nodes move to the remaining servers, and the killed server rejoins with its store.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsClusterHandle, natsClusterConfig, startNatsCluster } from '../../src/testing/nats-cluster.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'nc';
const HEARTBEAT_MS = 250;
const processes = new NodeProcesses();
let nats: NatsClusterHandle;
let client: ClusterClient;
let nc: NatsConnection;

async function json(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

/** `lucent-<id>` connections per server, from each running server's `/connz`. */
async function nodeConnections(): Promise<Map<string, string[]>> {
  const byServer = new Map<string, string[]>();
  for (const server of nats.servers) {
    if (!server.running) continue;
    const connz = (await json(`${server.monitorUrl}/connz`)) as { connections?: { name?: string }[] };
    const names = (connz.connections ?? []).map((c) => c.name ?? '').filter((n) => n.startsWith('lucent-n'));
    byServer.set(server.name, names);
  }
  return byServer;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const BUCKET_STREAMS = [`KV_lucent-${CLUSTER}-state`, `KV_lucent-${CLUSTER}-leases`];

/**
 * Resolves once each bucket's stream has a leader and `replicas` followers that are current (caught up). Bounded:
 * a rejoined server catches up, and a stream whose leader died elects a new one, within seconds.
 */
async function waitForStreams(replicas: number, timeoutMs = 30_000): Promise<void> {
  // No API check at creation: that is a request too, and it may time out while a server is gone.
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    let ready = true;
    for (const stream of BUCKET_STREAMS) {
      try {
        const info = await jsm.streams.info(stream);
        const followers = (info.cluster?.replicas ?? []).filter((r) => r.current && !r.offline);
        last = JSON.stringify(info.cluster);
        if (!info.cluster?.leader || followers.length < replicas) ready = false;
      } catch (error) {
        last = String(error);
        ready = false;
      }
    }
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`bucket streams not ready within ${timeoutMs} ms: ${last}`);
    await pause(200);
  }
}

beforeAll(async () => {
  nats = await startNatsCluster({ size: 3 });
  const urls = nats.urls.join(',');
  for (const id of ['n1', 'n2']) {
    const extra = ['--actors', fixture('shard-actors.mjs'), '--nats-replicas', '3'];
    const node = processes.start({
      args: clusterNodeArgs(id, { cluster: CLUSTER, natsUrl: urls, heartbeatMs: HEARTBEAT_MS }, extra),
    });
    await node.waitForLog('node.ready', 30_000);
  }
  client = await connectCluster({ servers: [...nats.urls], cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await client.waitForMembers(2, 20_000);
  nc = await connect({ servers: [...nats.urls] });
}, 90_000);

afterAll(async () => {
  await client?.close();
  await nc?.close();
  await processes.killAll();
  await nats?.stop();
});

describe('a 3-server NATS cluster (startNatsCluster) with lucent-node processes on it', () => {
  it('writes a config per server with server_name, a cluster block with the other routes and a store dir', () => {
    const text = natsClusterConfig({
      name: 's1',
      port: 1,
      monitorPort: 2,
      clusterPort: 3,
      storeDir: '/tmp/x',
      clusterName: 'c',
      routePorts: [4, 5],
    });
    expect(text).toContain('server_name: s1');
    expect(text).toContain('listen: 127.0.0.1:3');
    expect(text).toContain('nats-route://127.0.0.1:4');
    expect(text).toContain('nats-route://127.0.0.1:5');
    expect(text).toContain('store_dir: "/tmp/x"');
    expect(nats.urls).toHaveLength(3);
  });

  it('creates the state and lease buckets with 3 replicas (--nats-replicas 3)', async () => {
    const counter = client.client.actor<{ type: 'inc' }, { count: number }>('counter', 'c-0');
    expect((await counter.ask({ type: 'inc' }, { timeoutMs: 10_000 })).count).toBe(1);
    const jsm = await nc.jetstreamManager();
    for (const bucket of BUCKET_STREAMS) {
      const info = await jsm.streams.info(bucket);
      expect({ bucket, replicas: info.config.num_replicas }).toEqual({ bucket, replicas: 3 });
      expect(info.cluster?.replicas ?? []).toHaveLength(2);
    }
  }, 30_000);

  it('keeps every acknowledged update when the busiest server is killed -9; nodes fail over; it rejoins', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `k-${i}`);
    const acked = new Map(ids.map((id) => [id, 0]));
    const counter = (id: string) => client.client.actor<{ type: 'inc' }, { count: number }>('counter', id);
    let running = true;
    const failures: string[] = [];
    // Bounded load: asks in rounds until stopped (at most ~40 s).
    const load = (async () => {
      for (let round = 0; running && round < 400; round++) {
        await Promise.all(
          ids.map(async (id) => {
            try {
              const { count } = await counter(id).ask({ type: 'inc' }, { timeoutMs: 5_000 });
              acked.set(id, Math.max(acked.get(id) ?? 0, count));
            } catch (error) {
              failures.push((error as { code?: string }).code ?? 'unknown');
            }
          }),
        );
        await pause(50);
      }
    })();
    await pause(1_000);
    const before = await nodeConnections();
    const victim = nats.servers.reduce((a, b) =>
      (before.get(a.name)?.length ?? 0) >= (before.get(b.name)?.length ?? 0) ? a : b,
    );
    expect(before.get(victim.name)?.length ?? 0).toBeGreaterThan(0);
    await victim.crash();
    // The nodes reconnect to the remaining servers.
    const deadline = Date.now() + 20_000;
    let after = await nodeConnections();
    while ([...after.values()].flat().length < 2 && Date.now() < deadline) {
      await pause(200);
      after = await nodeConnections();
    }
    expect([...after.values()].flat().sort()).toEqual(['lucent-n1', 'lucent-n2']);
    await pause(1_500);
    await victim.restart();
    await nats.waitForCluster(30_000);
    await pause(1_000);
    running = false;
    await load;
    // Rejoined: routed to both others, and holds its replicas of the buckets again.
    const routez = await json(`${victim.monitorUrl}/routez`);
    expect(routez.num_routes).toBeGreaterThanOrEqual(2);
    const jsz = await json(`${victim.monitorUrl}/jsz`);
    expect(Number(jsz.streams)).toBeGreaterThanOrEqual(2);
    expect(processes.all.every((node) => node.running)).toBe(true);

    // Now what the buckets hold must survive without the other servers' copies: the nodes stop gracefully (every
    // actor's final save, on R3 buckets), then a server other than the rejoined one is killed, and a fresh node
    // on the remaining two (the rejoined one among them) activates every counter from KV.
    // The rejoined server has caught up on both buckets (and they have leaders) before the nodes save and
    // another server goes. (A final save that meets a leaderless stream fails with 503 and is not retried: the
    // node logs node.shutdown_step_failed and still exits 0.)
    await waitForStreams(2);
    for (const node of processes.all) expect((await node.stop()).code).toBe(0);
    const other = nats.servers.find((server) => server !== victim) ?? victim;
    await other.crash();
    await nats.waitForCluster(30_000);
    await waitForStreams(1);
    const urls = nats.servers.filter((server) => server.running).map((server) => server.url);
    const extra = ['--actors', fixture('shard-actors.mjs'), '--nats-replicas', '3'];
    const fresh = processes.start({
      args: clusterNodeArgs('n3', { cluster: CLUSTER, natsUrl: urls.join(','), heartbeatMs: HEARTBEAT_MS }, extra),
    });
    await fresh.waitForLog('node.ready', 30_000);
    const view = Date.now() + 20_000;
    while (!client.view.members.some((m) => m.id === 'n3') || client.view.members.length !== 1) {
      if (Date.now() > view) throw new Error(`client view never became [n3]: ${JSON.stringify(client.view.members)}`);
      await pause(100);
    }
    // Nothing acknowledged lost: each counter is at least at the highest count an ask acknowledged. Read with
    // an event the machine ignores (the reply is its context, unchanged).
    // On failure, what the nodes warned about (a failed final save, a lease conflict) is in the message.
    const warnings = processes.all.flatMap((node) =>
      node.lines.filter((line) => Number(line.level) >= 40 || line.level === 'warn' || line.level === 'error'),
    );
    for (const id of ids) {
      const { count } = await counter(id).ask({ type: 'get' } as unknown as { type: 'inc' }, { timeoutMs: 10_000 });
      if (count < (acked.get(id) ?? 0))
        throw new Error(`${id}: ${count} < ${acked.get(id)}; ${JSON.stringify(warnings).slice(0, 3000)}`);
      expect({ id, count, atLeast: acked.get(id) }).toEqual({
        id,
        count: Math.max(count, acked.get(id) ?? 0),
        atLeast: acked.get(id),
      });
    }
    await other.restart();
  }, 120_000);
});
