/**
 * Client retries of pure functions against a real nats-server and three real `lucent-node` processes: a call
 * whose serving node is SIGKILLed mid-call succeeds on a survivor by retry (counted by function and reason), by
 * definition and by name; a handler error marked retryable is retried on another shard, also for a keyed call
 * (not on its owner again), and the retry sees `ctx.attempt` 2; one that is not marked is not retried.
 */
import { defineFunction, HandlerError, placeFunction } from '@lucent/core/internal';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'retries';
const HEARTBEAT_MS = 250;
const NODES = ['r1', 'r2', 'r3'] as const;
const processes = new NodeProcesses();
const nodes = new Map<string, NodeProcess>();
let server: NatsServerHandle;
let cluster: ClusterClient;
const registry = new Registry();

// The client's copies of the fixture's definitions: name, shardBy and retry policy are what the client reads.
const slowDouble = defineFunction(
  { name: 'slowDouble', shardBy: 'key', retry: { maxAttempts: 3, backoffMs: 50 } },
  (_ctx, _input: { key: string; n: number; ms: number }): { value: number; shard: string; attempt: number } => {
    throw new Error('runs on the node');
  },
);
const notRetryable = defineFunction(
  { name: 'notRetryable', retry: { maxAttempts: 3, backoffMs: 10 } },
  (_ctx, _input: null): string => {
    throw new Error('runs on the node');
  },
);
const keyedBusy = defineFunction(
  { name: 'keyedBusy', shardBy: 'key', retry: { maxAttempts: 3, backoffMs: 10 } },
  (_ctx, _input: { key: string; failOn: string }): { shard: string; attempt: number } => {
    throw new Error('runs on the node');
  },
);
const retryableOnce = defineFunction(
  { name: 'retryableOnce', retry: { maxAttempts: 3, backoffMs: 10 } },
  (_ctx, _input: { failOn: string }): string => {
    throw new Error('runs on the node');
  },
);

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  for (const id of NODES) {
    const args = clusterNodeArgs(id, { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, [
      ...['--threads', '1', '--functions', fixture('context-functions.mjs')],
    ]);
    nodes.set(id, processes.start({ args }));
  }
  for (const node of nodes.values()) await node.waitForLog('node.ready', 25_000);
  cluster = await connectCluster({
    servers: server.url,
    cluster: CLUSTER,
    heartbeatIntervalMs: HEARTBEAT_MS,
    metricsRegistry: registry,
  });
  await cluster.waitForMembers(NODES.length);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

describe('client retries', () => {
  it('a handler error that is not marked retryable is not retried', async () => {
    await expect(cluster.client.call(notRetryable, null)).rejects.toSatisfy((e: unknown) => HandlerError.is(e));
    expect(cluster.client.retries(notRetryable)).toBe(0);
  });

  it('a handler error marked retryable is retried on another shard', async () => {
    // The queue group picks the first shard; over 30 calls some land on the shard that fails them.
    for (let i = 0; i < 30; i++) {
      const failOn = NODES[i % NODES.length]!;
      expect(await cluster.client.call(retryableOnce, { failOn })).not.toBe(failOn);
    }
    expect(cluster.client.retries(retryableOnce, 'retryable')).toBeGreaterThan(0);
  });

  it("a keyed call whose owner answers a retryable error is retried on the key's next node, which sees attempt 2", async () => {
    const owner = 'r2';
    let key = '';
    for (let i = 0; key === ''; i++) {
      const placement = placeFunction(keyedBusy, { key: `b${i}`, failOn: owner }, cluster.view);
      if (placement.type === 'node' && placement.node === owner) key = `b${i}`;
    }
    const out = await cluster.client.call(keyedBusy, { key, failOn: owner });
    // The owner fails every attempt it gets: only a retry served elsewhere can succeed.
    expect(out.shard).not.toBe(owner);
    expect(out.attempt).toBe(2);
    expect(cluster.client.retries(keyedBusy, 'retryable')).toBe(1);
  });

  it('a pure function whose node is SIGKILLed mid-call succeeds on a survivor by retry, counted', async () => {
    // A key owned by the node to kill (placement with the client's own view, as the call uses).
    const victim = 'r1';
    let key = '';
    for (let i = 0; key === ''; i++) {
      const placement = placeFunction(slowDouble, { key: `k${i}`, n: 1, ms: 0 }, cluster.view);
      if (placement.type === 'node' && placement.node === victim) key = `k${i}`;
    }
    const before = cluster.client.retries(slowDouble, 'node_unavailable');
    const call = cluster.client.call(slowDouble, { key, n: 21, ms: 1_500 }, { timeoutMs: 20_000 });
    // Kill the owner while it runs the call.
    await nodes.get(victim)!.waitForLog('node.ready');
    await new Promise((resolve) => setTimeout(resolve, 300));
    nodes.get(victim)!.kill();
    const out = await call;
    expect(out.value).toBe(42);
    expect(out.shard).not.toBe(victim);
    expect(cluster.client.retries(slowDouble, 'node_unavailable')).toBe(before + 1);
    const text = await registry.metrics();
    expect(text).toMatch(/lucent_retries_total\{function="slowDouble",reason="node_unavailable"\} 1/);
  }, 30_000);

  it('a call by name whose node is SIGKILLed mid-call succeeds on a survivor by retry, counted', async () => {
    // Runs after r1's kill: r2 and r3 are left. The client sends a call by name to one of the function's hosts.
    const tag = `t${Date.now()}`;
    const call = cluster.client.call<{ shard: string; attempt: number }>(
      'slowByName',
      { tag, ms: 1_500 },
      { timeoutMs: 20_000 },
    );
    const end = Date.now() + 10_000;
    let victim: string | undefined;
    while (victim === undefined && Date.now() < end) {
      victim = ['r2', 'r3'].find((id) => nodes.get(id)!.lines.some((l) => l.msg === 'slow.started' && l.tag === tag));
      if (victim === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(victim).toBeDefined();
    nodes.get(victim!)!.kill();
    const out = await call;
    expect(out.shard).not.toBe(victim);
    const retries = cluster.client.retries('slowByName', 'node_unavailable');
    expect(retries).toBeGreaterThanOrEqual(1);
    // The function's attempt number and the client's count agree.
    expect(out.attempt).toBe(1 + cluster.client.retries('slowByName'));
    const text = await registry.metrics();
    expect(text).toMatch(/lucent_retries_total\{function="slowByName",reason="node_unavailable"\} [1-9]/);
  }, 30_000);
});
