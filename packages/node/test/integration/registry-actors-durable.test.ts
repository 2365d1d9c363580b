/**
 * A deployed actor type is as durable as an `--actors` one (issue 13, "durable by default"): on nodes started
 * without `--actors`, an actor type deployed through the registry keeps its state in JetStream KV, so a SIGKILL of
 * its owner loses no acknowledged update: the next owner restores it. (Nodes used to open KV only when started
 * with `--actors`, and kept a deployed type's state in memory.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeProcessCluster, startNodeProcessCluster } from '../../src/testing/node-process-cluster.js';
import { fixture } from './cli-fixtures.js';

type Cart = { items: number; version: string };

let cluster: NodeProcessCluster;

beforeAll(async () => {
  cluster = await startNodeProcessCluster({
    cluster: 'regdurable',
    nodes: ['n1', 'n2'],
    args: ['--functions', fixture('shard-functions.mjs'), '--threads', '1'],
  });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
});

const add = (id: string) =>
  cluster.client.actor<{ type: 'add' }, Cart>('cart', id).ask({ type: 'add' }, { timeoutMs: 5_000 });

/** Polls `attempt` until it returns a defined value (errors count as not yet), or fails after `timeoutMs`. */
async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what} (last error: ${String(last)})`);
}

describe('a deployed actor type on nodes started without --actors', () => {
  it('keeps its state across a SIGKILL of its owner', async () => {
    const deployed = await cluster.cli.run('deploy', fixture('registry/cart-v1.mjs'));
    expect(deployed.stdout).toContain('actor:cart@1 deployed');
    await eventually('cart hosted by both nodes', async () =>
      cluster.clusterClient.view.members.filter((m) => m.modules?.includes('actor:cart')).length === 2
        ? true
        : undefined,
    );
    for (let i = 1; i <= 3; i++) expect((await add('k1')).items).toBe(i);
    const owner = cluster.clusterClient.view.ring.owner('cart/k1');
    expect(owner).toBeDefined();
    cluster.node(owner!).kill();
    await eventually('the owner left the view', async () =>
      cluster.clusterClient.view.members.some((m) => m.id === owner) ? undefined : true,
    );
    // The survivor restores the stored snapshot (after the dead owner's activation lease lapses).
    const after = await eventually('cart/k1 answers on the survivor', () => add('k1'));
    expect(after.items).toBe(4);
  }, 60_000);
});
