/**
 * Bounded actor mailboxes through a real `lucent-node` (`--actor-mailbox-size 4`) on a real nats-server: a burst
 * of asks larger than the bound at a slow actor (30 ms per message) gets `OverloadedError` for the excess at
 * once, the node stays up, and every accepted ask is applied; refused tells are counted, not queued; the client
 * waits out a refusal (same message id, after `retryAfterMs`) while its ask's time lasts.
 */
import { askEnvelope, EnvelopeCodec, EnvelopeKind, nodeSubject, type WireError } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import { clusterNodeArgs, fixture, metricValue } from './cli-fixtures.js';
import { until } from './wait-until.js';

const CLUSTER = 'mailbox';
const NODE = 'm1';
const BOUND = 4;
const BURST = 40;
const codec = new EnvelopeCodec();
const processes = new NodeProcesses();
let server: NatsServerHandle;
let node: NodeProcess;
let httpPort: number;
let cluster: ClusterClient;
let raw: NatsTransport;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: 250 };
  node = processes.start({
    args: clusterNodeArgs(NODE, options, [
      ...['--actors', fixture('slow-actors.mjs'), '--actor-mailbox-size', String(BOUND)],
    ]),
  });
  httpPort = (await node.waitForLog('node.ready', 30_000)).httpPort as number;
  // Raw requests: the test sees each answer as the node sent it (the client would wait out refusals).
  raw = await NatsTransport.connect({ servers: server.url, cluster: CLUSTER });
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: 250 });
  await cluster.waitForMembers(1, 20_000);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

/** `lucent_actor_mailbox_full_total{type="slow",kind}` from the node's `/metrics` (0 before the first refusal). */
async function refusedCount(kind: 'ask' | 'tell'): Promise<number> {
  const value = await metricValue(httpPort, 'lucent_actor_mailbox_full_total', { type: 'slow', kind });
  return Number.isNaN(value) ? 0 : value;
}

interface Answer {
  readonly at: number;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
}

/** Asks `slow/<id>` `inc` through a raw request to the node; the answer as sent, and when it came. */
async function rawInc(id: string): Promise<Answer> {
  const envelope = askEnvelope(`slow/${id}`, { type: 'inc' }, { origin: 'test', deadline: Date.now() + 30_000 });
  const answer = codec.decode(await raw.request(nodeSubject(CLUSTER, NODE), codec.encode(envelope), 30_000));
  if (answer.kind !== EnvelopeKind.Error) return { at: Date.now(), code: undefined, retryAfterMs: undefined };
  const error = answer.payload as WireError & { details: { retryAfterMs?: number } };
  return { at: Date.now(), code: error.code, retryAfterMs: error.details.retryAfterMs };
}

const countOf = async (id: string): Promise<number> =>
  ((await cluster.client.actor('slow', id).ask({ type: 'get' }, { timeoutMs: 20_000 })) as { count: number }).count;

describe('bounded actor mailboxes (lucent-node --actor-mailbox-size)', () => {
  it('refuses the excess of a burst at once with OverloadedError; the accepted asks are all applied', async () => {
    const answers = await Promise.all(Array.from({ length: BURST }, () => rawInc('burst')));
    const accepted = answers.filter((a) => a.code === undefined);
    const refused = answers.filter((a) => a.code !== undefined);
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThanOrEqual(BOUND);
    for (const r of refused) {
      expect(r.code).toBe('LUCENT_OVERLOADED');
      expect(r.retryAfterMs).toBeGreaterThanOrEqual(1);
    }
    // Refused while the backlog was there, not after waiting behind it.
    const lastAccepted = Math.max(...accepted.map((a) => a.at));
    expect(Math.max(...refused.map((r) => r.at))).toBeLessThanOrEqual(lastAccepted);
    expect(await countOf('burst')).toBe(accepted.length);
    expect(await refusedCount('ask')).toBe(refused.length);
    expect(node.running).toBe(true);
  }, 60_000);

  it('refuses told messages past the bound (counted), and applies the others', async () => {
    const before = await refusedCount('tell');
    const handle = cluster.client.actor('slow', 'told');
    await handle.ask({ type: 'get' }, { timeoutMs: 20_000 }); // active, so the tells meet a running actor
    for (let i = 0; i < BURST; i++) handle.tell({ type: 'inc' });
    let refused = 0;
    await until('every tell applied or refused', async () => {
      refused = (await refusedCount('tell')) - before;
      return refused > 0 && (await countOf('told')) + refused === BURST;
    });
    expect(await countOf('told')).toBe(BURST - refused);
    expect(
      node.lines.some(
        (line) => line.msg === 'request.dropped' && (line.err as { code?: string })?.code === 'LUCENT_OVERLOADED',
      ),
    ).toBe(true);
  }, 60_000);

  it('the client waits out a refusal: an ask sent into a full mailbox is applied once, after the backlog', async () => {
    const fill = Array.from({ length: BURST }, () => rawInc('waited'));
    const asked = cluster.client.actor('slow', 'waited').ask({ type: 'inc' }, { timeoutMs: 20_000 });
    const answers = await Promise.all(fill);
    const reply = (await asked) as { count: number };
    const accepted = answers.filter((a) => a.code === undefined).length;
    expect(reply.count).toBeGreaterThanOrEqual(1);
    expect(await countOf('waited')).toBe(accepted + 1);
    expect(node.running).toBe(true);
  }, 60_000);
});
