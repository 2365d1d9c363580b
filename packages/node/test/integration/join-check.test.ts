/**
 * A node refuses to join a cluster it would disturb (issue 15), with real `lucent-node` processes on a real
 * nats-server: a second process with a live node's `--shard` id, and a node whose modules differ from the
 * cluster's (started without `--actors`), both exit non-zero at start with a message naming the problem, and
 * the running node is not disturbed. A node with the same modules joins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('refuses a node whose modules differ, naming the difference; a node with the same modules joins', async () => {
    const noActors = spawn('n2', FUNCTIONS);
    const exit = await noActors.exit(20_000);
    expect(exit.code).not.toBe(0);
    const failure = startFailure(noActors);
    expect(failure).toContain('LUCENT_CONFIG');
    expect(failure).toContain('missing here: actor:counter');
    expect(failure).toContain("live node 'n1'");

    const same = spawn('n2', [...FUNCTIONS, ...ACTORS]);
    const ready = await same.waitForLog('node.ready', 25_000);
    expect(ready.shard).toBe('n2');
  }, 50_000);
});
