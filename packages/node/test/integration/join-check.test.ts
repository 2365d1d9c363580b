/**
 * Joining a cluster, with real `lucent-node` processes on a real nats-server: a second process with a live
 * node's `--shard` id exits non-zero at start with a message naming the problem, and the running node is not
 * disturbed (issue 15). Nodes with different modules join, and an actor type hosted by two of three nodes is
 * placed on those two only (issue 13: one ring per actor type).
 */
import { placeActor } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture, httpStatus } from './cli-fixtures.js';

const processes = new NodeProcesses();
let server: NatsServerHandle;
let first: NodeProcess;
let firstPort = 0;

const FUNCTIONS = ['--functions', fixture('shard-functions.mjs')];
const ACTORS = ['--actors', fixture('shard-actors.mjs')];

function spawn(id: string, modules: readonly string[]): NodeProcess {
  const options = { cluster: 'jc', natsUrl: server.url, heartbeatMs: 200 };
  return processes.start({ args: clusterNodeArgs(id, options, ['--threads', '1', ...modules]) });
}

/** The start failure a refused node logged, as text. */
function startFailure(cli: NodeProcess): string {
  return JSON.stringify(cli.lines.find((line) => line.msg === 'node.start_failed') ?? null);
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  first = spawn('n1', [...FUNCTIONS, ...ACTORS]);
  firstPort = (await first.waitForLog('node.ready', 25_000)).httpPort as number;
}, 40_000);

afterAll(async () => {
  await processes.killAll();
  await server?.stop();
});

describe('joining a cluster', () => {
  it('refuses a second process with a live shard id, and the live node carries on undisturbed', async () => {
    const twin = spawn('n1', [...FUNCTIONS, ...ACTORS]);
    const exit = await twin.exit(20_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const failure = startFailure(twin);
    expect(failure).toContain('LUCENT_CONFIG');
    expect(failure).toContain("another live process already runs as shard 'n1'");
    expect(twin.lines.some((line) => line.msg === 'node.ready')).toBe(false);
    // The real n1 never saw a heartbeat under its id from another process.
    expect(first.lines.some((line) => line.msg === 'membership.error')).toBe(false);
    expect(await httpStatus(firstPort, '/readyz')).toBe(200);
  }, 30_000);

  it('places an actor type hosted by two of three nodes on those two only', async () => {
    // n1 hosts counter (beforeAll); n2 hosts only functions; n3 hosts both. n2 joins: modules may differ.
    const noActors = spawn('n2', FUNCTIONS);
    const n2Port = (await noActors.waitForLog('node.ready', 25_000)).httpPort as number;
    const withActors = spawn('n3', [...FUNCTIONS, ...ACTORS]);
    const n3Port = (await withActors.waitForLog('node.ready', 25_000)).httpPort as number;
    const cluster = await connectCluster({ servers: server.url, cluster: 'jc', heartbeatIntervalMs: 200 });
    try {
      await cluster.waitForMembers(3, 25_000);
      // n2 owns about a third of the full ring; on the type's ring it owns nothing.
      const ids = Array.from({ length: 60 }, (_, i) => `c${i}`);
      expect(ids.some((id) => cluster.view.ring.owner(`counter/${id}`) === 'n2')).toBe(true);
      for (const id of ids) expect(placeActor(`counter/${id}`, cluster.view)).not.toEqual({ type: 'node', node: 'n2' });
      // Every ask succeeds (on the full ring a third would reach n2 and fail UnknownActorTypeError).
      for (const id of ids) {
        const counter = cluster.client.actor<{ type: 'inc' }, { count: number }>('counter', id);
        expect(await counter.ask({ type: 'inc' }, { timeoutMs: 10_000 })).toMatchObject({ count: 1 });
      }
      const active = async (port: number) =>
        Number(/lucent_active_actors\{[^}]*\} (\d+)/.exec(await httpText(port, '/metrics'))?.[1] ?? 0);
      expect(await active(n2Port)).toBe(0);
      expect((await active(firstPort)) + (await active(n3Port))).toBe(ids.length);
      expect(await active(firstPort)).toBeGreaterThan(0);
      expect(await active(n3Port)).toBeGreaterThan(0);
    } finally {
      await cluster.close();
    }
  }, 90_000);
});

async function httpText(port: number, path: string): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).text();
}
