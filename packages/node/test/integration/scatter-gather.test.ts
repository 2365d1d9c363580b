/**
 * Scatter-gather against a real nats-server and three real `lucent-node` processes with tags: scatter reaches
 * every node (only the tagged ones with a tag), gather returns results in input order with one message per
 * shard, and a partial failure follows the chosen policy.
 */
import { defineFunction, PartialFailureError, RoutingError, viewSourceOf } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { connect, type LucentClient } from '../../src/client/lucent-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { codeOfSettled } from '../error-code.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'fanout';
const HEARTBEAT_MS = 250;
const TAGS: Record<string, string> = { s1: 'eu', s2: 'eu,gpu', s3: 'us' };
const processes = new NodeProcesses();
let server: NatsServerHandle;
let cluster: ClusterClient;
/** A client on its own connection, routing with the cluster's view: its transport counts only our requests. */
let counted: LucentClient;

const whoAmI = defineFunction(
  { name: 'whoAmI' },
  (_ctx, _input: { q: number }): { shard: string; tags: string[]; input: { q: number } } => {
    throw new Error('runs on the node');
  },
);
const square = defineFunction(
  { name: 'square', shardBy: 'key' },
  (_ctx, _input: { key: string; n: number; fail?: boolean }): { n: number; shard: string } => {
    throw new Error('runs on the node');
  },
);
const retryableOnce = defineFunction({ name: 'retryableOnce' }, (_ctx, _input: { failOn: string }): string => {
  throw new Error('runs on the node');
});

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const started = Object.entries(TAGS).map(([id, tags]) =>
    processes.start({
      args: clusterNodeArgs(id, { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, [
        ...['--threads', '1', '--tags', tags, '--functions', fixture('context-functions.mjs')],
      ]),
    }),
  );
  for (const node of started) await node.waitForLog('node.ready', 25_000);
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(3);
  counted = await connect({ servers: server.url, cluster: CLUSTER, viewSource: viewSourceOf(cluster.membership) });
}, 60_000);

afterAll(async () => {
  await counted?.close();
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

describe('scatter', () => {
  it('runs the input once on every node', async () => {
    const { results, errors } = await cluster.client.scatter(whoAmI, { q: 1 });
    expect(errors).toEqual([]);
    expect(results.map((r) => r.shard)).toEqual(['s1', 's2', 's3']);
    for (const r of results) expect(r.value).toMatchObject({ shard: r.shard, input: { q: 1 } });
  });

  it('with a tag, only on the nodes started with it', async () => {
    const eu = await cluster.client.scatter(whoAmI, { q: 2 }, { shards: 'eu' });
    expect(eu.results.map((r) => r.value.shard)).toEqual(['s1', 's2']);
    const gpu = await cluster.client.scatter(whoAmI, { q: 3 }, { shards: 'gpu' });
    expect(gpu.results.map((r) => r.value.shard)).toEqual(['s2']);
    expect(await codeOfSettled(cluster.client.scatter(whoAmI, { q: 4 }, { shards: 'mars' }))).toBe(RoutingError.code);
  });

  it('folds the results with aggregate', async () => {
    const shards = await cluster.client.scatter(
      whoAmI,
      { q: 5 },
      { aggregate: (results) => results.map((r) => r.value.tags.join('+')).join(' ') },
    );
    expect(shards).toBe('eu eu+gpu us');
  });

  it("a shard's failure rejects under 'fail' and is listed beside the results under 'collect'", async () => {
    const failing = cluster.client.scatter(retryableOnce, { failOn: 's2' });
    await expect(failing).rejects.toSatisfy(
      (e: unknown) => PartialFailureError.is(e) && e.details.failed === 1 && e.details.total === 3,
    );
    const collected = await cluster.client.scatter(retryableOnce, { failOn: 's2' }, { partial: 'collect' });
    expect(collected.results.map((r) => r.value)).toEqual(['s1', 's3']);
    expect(collected.errors.map((e) => [e.shard, e.error.code])).toEqual([['s2', 'LUCENT_RETRYABLE']]);
  });
});

describe('gather', () => {
  it('returns results in input order with one message per shard', async () => {
    const inputs = Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, n: i }));
    const shardsUsed = new Set(inputs.map((input) => placeShard(input)));
    const before = counted.transport.stats.framesOut;
    const values = await counted.gather(square, inputs);
    expect(counted.transport.stats.framesOut - before).toBe(shardsUsed.size);
    expect(values.map((v) => v.n)).toEqual(inputs.map((input) => input.n * input.n));
    // Each input ran on its key's owner.
    for (let i = 0; i < inputs.length; i++) expect(values[i]!.shard).toBe(placeShard(inputs[i]!));
  });

  it("a failed input rejects under 'fail' and leaves a hole plus its error under 'collect'", async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => ({ key: `f${i}`, n: i, fail: i % 7 === 3 }));
    const failing = counted.gather(square, inputs);
    await expect(failing).rejects.toSatisfy(
      (e: unknown) =>
        PartialFailureError.is(e) &&
        e.details.failed === 3 &&
        e.details.errors.map((x) => x.index).join() === '3,10,17',
    );
    const { values, errors } = await counted.gather(square, inputs, { partial: 'collect' });
    expect(errors.map((e) => [e.index, e.error.code])).toEqual([
      [3, 'LUCENT_HANDLER'],
      [10, 'LUCENT_HANDLER'],
      [17, 'LUCENT_HANDLER'],
    ]);
    expect(values.map((v) => v?.n)).toEqual(inputs.map((x) => (x.fail ? undefined : x.n * x.n)));
  });
});

function placeShard(input: { key: string }): string {
  return cluster.view.ring.owner(input.key);
}
