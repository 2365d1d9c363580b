/**
 * Deployed actor types (issue 13), with a real nats-server and three real `lucent-node` processes: an actor
 * module deployed with `--tags stateful` is hosted by the two tagged nodes only, and placed on those two; a new
 * version applies to activations after the deploy and restores the snapshots it declares (`restores`); a
 * version that cannot restore an actor's snapshot fails that actor with LUCENT_SNAPSHOT_INCOMPATIBLE and leaves
 * its stored state as it was; `lucent rollback actor:cart` goes back to the version before, and the actor with it.
 */
import { placeActor } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/admin/admin-program.js';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { KvStateStore } from '../../src/state/kv-state-store.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'regactors';
const HEARTBEAT_MS = 200;
const processes = new NodeProcesses();
let server: NatsServerHandle;
let cluster: ClusterClient;
let raw: NatsTransport;
const ports = new Map<string, number>();
type Cart = { items: number; version: string };

async function lucent(...args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const code = await runAdmin(
    ['--nats', server.url, '--cluster', CLUSTER, '--heartbeat-interval-ms', String(HEARTBEAT_MS), ...args],
    { writeOut: (text) => (out += text), writeErr: (text) => (err += text) },
  );
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return out;
}

/** Polls `attempt` until it returns a defined value, or fails after `timeoutMs`. */
async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await attempt();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const add = (id: string) =>
  cluster.client.actor<{ type: 'add' }, Cart>('cart', id).ask({ type: 'add' }, { timeoutMs: 10_000 });

async function activeActors(id: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ports.get(id)}/metrics`)).text();
  return Number(/lucent_active_actors(?:\{[^}]*\})? (\d+)/.exec(text)?.[1] ?? -1);
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  const actors = ['--actors', fixture('shard-actors.mjs'), '--threads', '1'];
  const nodes = [
    ['n1', ['--tags', 'stateful', ...actors]],
    ['n2', ['--tags', 'stateful', ...actors]],
    ['n3', actors],
  ] as const;
  await Promise.all(
    nodes.map(async ([id, extra]) => {
      const cli = processes.start({ args: clusterNodeArgs(id, options, extra) });
      ports.set(id, (await cli.waitForLog('node.ready', 30_000)).httpPort as number);
    }),
  );
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(3, 20_000);
  raw = await NatsTransport.connect({ servers: server.url, cluster: CLUSTER });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

describe('deployed actor types', () => {
  it('are hosted, and placed, only on the nodes their tags name', async () => {
    expect(await lucent('deploy', fixture('registry/cart-v1.mjs'), '--tags', 'stateful')).toContain(
      'actor:cart@1 deployed',
    );
    const hosts = await eventually('cart hosted by n1 and n2', async () => {
      const ids = cluster.view.members.filter((m) => m.modules?.includes('actor:cart')).map((m) => m.id);
      return ids.length === 2 ? ids : undefined;
    });
    expect(hosts).toEqual(['n1', 'n2']);
    const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
    expect(ids.some((id) => cluster.view.ring.owner(`cart/${id}`) === 'n3')).toBe(true);
    for (const id of ids) {
      expect(placeActor(`cart/${id}`, cluster.view)).not.toEqual({ type: 'node', node: 'n3' });
      expect(await add(id)).toEqual({ items: 1, version: '1' });
    }
    expect(await activeActors('n3')).toBe(0);
  }, 60_000);

  it('apply a new version to later activations, restoring the snapshot versions it declares', async () => {
    expect(await lucent('deploy', fixture('registry/cart-v2.mjs'), '--tags', 'stateful')).toContain(
      'actor:cart@2 deployed',
    );
    // A new actor is activated with v2 once the nodes defined it.
    await eventually('a new cart on v2', async () =>
      (await add(`new-${Date.now()}`)).version === '2' ? true : undefined,
    );
    // c0 passivates after 300 ms idle; its next activation is v2, from its v1 snapshot (items 1, then + 10).
    const c0 = await eventually('c0 on v2', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const cart = await add('c0');
      return cart.version === '2' ? cart : undefined;
    });
    expect(c0.items).toBeGreaterThanOrEqual(11);
  }, 60_000);

  it('fail an actor whose snapshot the new version cannot restore, leaving its state stored as it was', async () => {
    expect(await lucent('deploy', fixture('registry/cart-v3.mjs'), '--tags', 'stateful')).toContain(
      'actor:cart@3 deployed',
    );
    await eventually('a new cart on v3', async () =>
      (await add(`v3-${Date.now()}`)).version === '3' ? true : undefined,
    );
    const store = await KvStateStore.open(raw.natsConnection, { cluster: CLUSTER });
    const code = await eventually('c0 refused', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      try {
        await add('c0');
        return undefined; // still the live v2 activation: wait for its passivation
      } catch (error) {
        return (error as { code?: string }).code;
      }
    });
    expect(code).toBe('LUCENT_SNAPSHOT_INCOMPATIBLE');
    const stored = (await store.load('cart/c0')) as { snapshot: { context: Cart } } | null;
    expect(stored?.snapshot.context.version).toBe('2');
  }, 60_000);

  it('roll back to the version before, which restores the refused actor with its state', async () => {
    expect(await lucent('rollback', 'actor:cart')).toContain('actor:cart: registry revision');
    const c0 = await eventually('c0 back on v2', async () => {
      try {
        const cart = await add('c0');
        return cart.version === '2' ? cart : undefined;
      } catch {
        return undefined; // the nodes have not defined v2 again yet
      }
    });
    expect(c0.items).toBeGreaterThanOrEqual(21);
  }, 60_000);
});
