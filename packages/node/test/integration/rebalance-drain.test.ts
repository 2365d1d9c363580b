/**
 * Rebalancing and drain with real processes: a real nats-server (JetStream: actor state and leases in KV) and
 * three `lucent-node` processes with `--rebalance on`. A node held above 0.85 by a CPU-heavy function lowers its
 * ring weight one bounded step per sustained window while the least-loaded other node raises its own; every view
 * moves the keys whose owner changed, and the actors answer from their new owners with their state. Then SIGTERM drains a node: its actors answer elsewhere, state intact.
 */

import { defineFunction } from '@lucent/core';
import { askEnvelope, type Envelope, EnvelopeCodec, EnvelopeKind, nodeSubject, pin } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';
import { until } from './wait-until.js';

const CLUSTER = 'rebal';
const HEARTBEAT_MS = 250;
const NODES = ['n1', 'n2', 'n3'] as const;
const ACTORS = 30;

const burn = defineFunction({ name: 'burn', routing: pin('node') }, (_ctx, _input: { node: string; ms: number }) => '');
const codec = new EnvelopeCodec();
const processes = new NodeProcesses();
const clis = new Map<string, NodeProcess>();
let server: NatsServerHandle;
let cluster: ClusterClient;
let raw: NatsTransport;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  for (const id of NODES) {
    const cli = processes.start({
      env: { TEST_NODE_ID: id },
      args: clusterNodeArgs(id, options, [
        ...['--threads', '1', '--tags', id, '--load-report-interval-ms', '200', '--rebalance', 'on'],
        ...['--functions', fixture('strategy-functions.mjs'), '--actors', fixture('shard-actors.mjs')],
        ...['--drain-timeout-ms', '5000'],
      ]),
    });
    clis.set(id, cli);
  }
  for (const cli of clis.values()) await cli.waitForLog('node.ready', 25_000);
  raw = await NatsTransport.connect({ servers: server.url, cluster: CLUSTER });
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(NODES.length, 25_000);
}, 40_000);

afterAll(async () => {
  await cluster?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

const ownerOf = (key: string) => cluster.view.ring.owner(key);

/** Asks actor `counter/<id>` to count one more, through node `via`; the answer names the node that served it. */
async function incVia(via: string, id: string): Promise<Envelope> {
  const envelope = askEnvelope(`counter/${id}`, { type: 'inc' }, { origin: 'test' });
  return codec.decode(await raw.request(nodeSubject(CLUSTER, via), codec.encode(envelope), 10_000));
}

/**
 * {@link incVia}, again after the retry-after while the owner answers `OverloadedError` (an owner at load >= 0.9
 * refuses asks rather than queue them behind its backlog), at most 100 times.
 */
async function incViaWhenServed(via: string, id: string): Promise<Envelope> {
  for (let attempt = 0; ; attempt++) {
    const answer = await incVia(via, id);
    const error = answer.payload as { code?: string; details?: { retryAfterMs?: number } } | undefined;
    if (answer.kind !== EnvelopeKind.Error || error?.code !== 'LUCENT_OVERLOADED' || attempt >= 100) return answer;
    await new Promise((resolve) => setTimeout(resolve, Math.max(50, error.details?.retryAfterMs ?? 0)));
  }
}

/** Gives every actor `count` increments (through the client, which routes by its view). */
async function seed(prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: ACTORS }, (_, i) => `${prefix}${i}`);
  for (const id of ids) {
    const actor = cluster.client.actor<{ type: 'inc' }, { count: number }>('counter', id);
    for (let i = 0; i < count; i++) await actor.ask({ type: 'inc' });
  }
  return ids;
}

describe('rebalancing and drain across lucent-node processes', () => {
  it('a node held above 0.85 sheds ring share in bounded steps; its actors move with their state', async () => {
    const ids = await seed('r', 3);
    const onN1 = ids.filter((id) => ownerOf(`counter/${id}`) === 'n1');
    expect(onN1.length).toBeGreaterThan(0);
    // A backlog of CPU-heavy calls on n1's one thread: load 1 for as long as it lasts (~9 s).
    await cluster.client.call(burn, { node: 'n1', ms: 50 });
    const burning = Array.from({ length: 30 }, () =>
      cluster.client.call(burn, { node: 'n1', ms: 300 }, { timeoutMs: 30_000 }),
    );
    await until('n1 to shed ring weight', () => (cluster.view.byId.get('n1')?.weight ?? 1) < 1);
    const n1 = clis.get('n1')!;
    // The first round is one bounded step: 1 -> 0.75.
    const first = await n1.waitForLog('node.rebalance', 5_000);
    expect(first).toMatchObject({ action: 'shed', from: 1, to: 0.75 });
    // The least-loaded of the others raises its weight while n1 stays hot: n1's keys go mostly there.
    await until('a cool node to absorb', () => ['n2', 'n3'].some((id) => (cluster.view.byId.get(id)?.weight ?? 1) > 1));
    await until('some of n1’s actors to belong elsewhere', () => onN1.some((id) => ownerOf(`counter/${id}`) !== 'n1'));
    const moved = onN1.filter((id) => ownerOf(`counter/${id}`) !== 'n1');
    for (const id of moved) {
      const owner = ownerOf(`counter/${id}`);
      // Asked through its new owner: it continues from the state n1 saved when it handed the actor off.
      const answer = await incVia(owner, id);
      expect(answer.kind).toBe(EnvelopeKind.Reply);
      expect(answer.payload).toEqual({ count: 4 });
    }
    // Actors that did not move kept counting where they were (n1's answer them once its backlog is gone).
    for (const id of ids.filter((id) => !moved.includes(id))) {
      const answer = await incViaWhenServed(ownerOf(`counter/${id}`), id);
      expect(answer.payload).toEqual({ count: 4 });
    }
    await Promise.all(burning);
    // Idle again: every weight comes back to 1 step by step.
    await until(
      'every node back at weight 1',
      () => cluster.view.members.every((member) => member.weight === 1),
      20_000,
    );
  }, 60_000);

  it('SIGTERM drains a node: its actors answer elsewhere with their state', async () => {
    const ids = await seed('d', 2);
    const onN3 = ids.filter((id) => ownerOf(`counter/${id}`) === 'n3');
    expect(onN3.length).toBeGreaterThan(0);
    const n3 = clis.get('n3')!;
    n3.signal('SIGTERM');
    expect((await n3.exit(15_000)).code).toBe(0);
    const stopped = n3.lines.find((line) => line.msg === 'node.stopped');
    expect(stopped?.actorsSaved).toBeGreaterThanOrEqual(onN3.length);
    await until('n3 to leave every view', () => !cluster.view.byId.has('n3'));
    for (const id of onN3) {
      const owner = ownerOf(`counter/${id}`);
      expect(['n1', 'n2']).toContain(owner);
      const answer = await incVia(owner, id);
      expect(answer).toMatchObject({ kind: EnvelopeKind.Reply, payload: { count: 3 } });
    }
  }, 40_000);
});
