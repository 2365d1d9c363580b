/**
 * The composed shard node (`startShardNode`: router + membership + state store) with three nodes in one
 * process on one in-memory bus (`createTestCluster`), and its membership client over the same bus. Real pools
 * (build first) and real heartbeat timers (short), so it lives with the integration tests; no NATS needed.
 */
import {
  callEnvelope,
  type Envelope,
  EnvelopeCodec,
  EnvelopeKind,
  HopLimitError,
  nodeSubject,
  type WireError,
} from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComposedShard } from '../../src/shard/start-shard-node.js';
import { createTestCluster, type TestCluster } from '../../src/testing/test-cluster.js';
import type { Transport } from '../../src/transport/transport.js';
import { fixture } from './cli-fixtures.js';

const CLUSTER = 'inproc';
const HEARTBEAT_MS = 100;
const FUNCTIONS = new URL('./cluster-functions.mjs', import.meta.url).pathname;
const codec = new EnvelopeCodec();
let cluster: TestCluster;
let raw: Transport;

beforeAll(async () => {
  cluster = await createTestCluster({
    nodes: ['a', 'b', 'c'],
    cluster: CLUSTER,
    functions: [FUNCTIONS],
    actors: [fixture('shard-actors.mjs')],
    heartbeatIntervalMs: HEARTBEAT_MS,
  });
  for (const node of cluster.nodes) {
    // Ready means joined: the node is in its own view before start resolves.
    expect(node.shard.node.isReady).toBe(true);
    expect(node.shard.membership.membership?.members.some((m) => m.id === node.id && m.local)).toBe(true);
  }
  raw = await cluster.connect();
  expect(cluster.view.members).toHaveLength(3);
}, 30_000);

afterAll(async () => {
  await cluster?.close();
});

function shard(id: string): ComposedShard {
  return cluster.node(id).shard;
}

async function requestVia(id: string, envelope: Envelope): Promise<Envelope> {
  return codec.decode(await raw.request(nodeSubject(CLUSTER, id), codec.encode(envelope), 5_000));
}

describe('composed shard nodes in one process', () => {
  it('forward a key they do not own to its owner and count the forward in metrics', async () => {
    const view = cluster.view;
    let key = '';
    for (let i = 0; key === '' && i < 1000; i++) if (view.ring.owner(`k${i}`) === 'b') key = `k${i}`;
    const before = shard('a').router.stats.forwarded;
    const answer = await requestVia('a', callEnvelope('echoKey', { key }));
    expect(answer).toMatchObject({ kind: EnvelopeKind.Reply, payload: key, origin: 'b' });
    expect(shard('a').router.stats.forwarded).toBe(before + 1);
    expect(await shard('a').node.metrics.text()).toMatch(/lucent_forwards_total\{node="a"\} [1-9]/);
    expect(await shard('b').node.metrics.text()).toMatch(
      /lucent_calls_total\{function="echoKey",outcome="ok",node="b"\} [1-9]/,
    );
  });

  it('refuses to forward past the hop limit with HopLimitError', async () => {
    let key = '';
    for (let i = 0; key === '' && i < 1000; i++) if (cluster.view.ring.owner(`k${i}`) === 'c') key = `k${i}`;
    const tired = { ...callEnvelope('echoKey', { key }), hops: 3 };
    const answer = await requestVia('a', tired);
    expect(answer.kind).toBe(EnvelopeKind.Error);
    expect((answer.payload as WireError).code).toBe(HopLimitError.code);
  });

  it('routes client calls and actor messages with the observer view', async () => {
    expect(await cluster.client.call('echoKey', { key: 'x1' })).toBe('x1');
    const counter = cluster.client.actor<{ type: 'inc' }, { count: number }>('counter', 'in-proc');
    for (let i = 0; i < 99; i++) counter.tell({ type: 'inc' });
    expect(await counter.ask({ type: 'inc' })).toMatchObject({ count: 100 });
  });

  it('leaves on shutdown: the others drop the node at once (a leave, not a death)', async () => {
    const seen: string[] = [];
    const remove = shard('a').membership.membership?.onEvent((event) => {
      if (event.member.id === 'c') seen.push(event.type);
    });
    await cluster.stopNode('c');
    remove?.();
    expect(seen).toEqual(['member.left']);
    expect(shard('a').membership.membership?.members.map((m) => m.id)).toEqual(['a', 'b']);
    expect(await cluster.client.call('echoKey', { key: 'after-leave' })).toBe('after-leave');
  });
});
