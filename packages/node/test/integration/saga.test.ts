/**
 * Sagas with real processes: a real nats-server and three real `lucent-node` processes hosting the sagas of
 * `fixtures/saga-actors.mjs` (with the `reserve` effect of `--effects`). Steps report what they run to a `tally`
 * actor per saga (the side channel the assertions read).
 *
 * 1. Three steps, the third fails: the first two are compensated in reverse order.
 * 2. The saga's node is SIGKILLed while the saga waits (`waitFor`) between its two side-effecting steps, and the
 *    awaited event is sent while it is down: the new owner resumes it from its stored state, the event reaches it
 *    through the saga's subscription, and it completes, each side-effecting step run once.
 * 3. A compensation that keeps failing lands in the dead-letter stream with the saga's state.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SagaDefinition } from '@lucent/actors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';

import { clusterNodeArgs, fixture } from './cli-fixtures.js';

// The module the nodes load (plain JavaScript, untyped): the client needs the same definitions.
const { order, pausing, stuck } = (await import(fixture('saga-actors.mjs'))) as Record<
  'order' | 'pausing' | 'stuck',
  SagaDefinition<Record<string, unknown>>
>;
const CLUSTER = 'saga';
const processes = new NodeProcesses();
const nodes = new Map<string, NodeProcess>();
let server: NatsServerHandle;
let cluster: ClusterClient;

const LUCENT_CLI = fileURLToPath(new URL('../../bin/lucent.js', import.meta.url));

/** `lucent <args> --json` against the test cluster: its parsed stdout (rejects on a non-zero exit). */
function lucentJson(...args: string[]): Promise<unknown> {
  const env = { ...process.env, LUCENT_NATS: server.url, LUCENT_CLUSTER: CLUSTER };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [LUCENT_CLI, ...args, '--json'], { env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`lucent ${args.join(' ')}: ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function spawnNode(id: string): NodeProcess {
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: 200 };
  const node = processes.start({
    args: clusterNodeArgs(id, options, [
      '--actors',
      fixture('saga-actors.mjs'),
      '--effects',
      fixture('saga-effects.mjs'),
      '--functions',
      fixture('shard-functions.mjs'),
      '--threads',
      '1',
    ]),
  });
  nodes.set(id, node);
  return node;
}

async function tallyOf(id: string): Promise<string[]> {
  const { log } = await cluster.client
    .actor<{ type: 'hit'; entry: string } | { type: 'get' }, { log: string[] }>('tally', id)
    .ask({ type: 'get' });
  return log;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  await Promise.all(['s1', 's2', 's3'].map((id) => spawnNode(id).waitForLog('node.ready', 30_000)));
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER });
  await cluster.waitForMembers(3, 30_000);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

describe('sagas (real nats-server, three lucent-node processes)', () => {
  it('completes three steps; when the third fails, compensates the first two in reverse order', async () => {
    const ok = await cluster.client.saga(order).start({ item: 'book' }, { id: 'ok-1' });
    const done = await ok.result({ timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect(done.results).toEqual({
      reserve: { item: 'book', key: 'ok-1:reserve' },
      charge: 'charged',
      ship: 'shipped',
    });
    expect(await tallyOf('ok-1')).toEqual(['run reserve ok-1:reserve', 'run charge', 'run ship']);

    const bad = await cluster.client.saga(order).start({ item: 'lamp', failShip: true }, { id: 'bad-1' });
    const undone = await bad.result({ timeoutMs: 30_000 });
    expect(undone.status).toBe('compensated');
    expect(undone.error).toMatchObject({ step: 'ship', message: expect.stringContaining('no courier') });
    expect(await tallyOf('bad-1')).toEqual([
      'run reserve bad-1:reserve',
      'run charge',
      'run ship',
      'undo charge',
      'undo reserve lamp',
    ]);
    expect((await bad.status()).step).toBeUndefined();
    // A saga is an actor like any other for the tools.
    expect(await lucentJson('ask', 'saga-order', 'bad-1', '{"type":"saga.status"}')).toMatchObject({
      status: 'compensated',
      runs: { reserve: 1, charge: 1, ship: 1, 'charge.compensate': 1, 'reserve.compensate': 1 },
    });
  }, 60_000);

  it('resumes on the new owner after its node is SIGKILLed during a wait; the event sent while it is down is not lost', async () => {
    const id = 'pause-1';
    const handle = await cluster.client.saga(pausing).start({}, { id });
    const deadline = Date.now() + 20_000;
    while ((await handle.status()).state.waits['awaitGo#1'] === undefined) {
      if (Date.now() > deadline) throw new Error('the saga never waited in awaitGo');
      await pause(100);
    }
    const owner = cluster.view.ring.owner(`saga-pausing/${id}`);
    const victim = nodes.get(owner) as NodeProcess;
    victim.kill();
    await victim.exited;
    // One `Go`, sent while the saga's node is dead and before anyone took it over: it is stored, and delivered to
    // the saga's actor once its new owner activates it.
    await cluster.client.emit('Go', { sagaId: id });
    const state = await handle.result({ timeoutMs: 45_000 });
    expect(state.status).toBe('completed');
    expect(await tallyOf(id)).toEqual(['run first', 'run last 3']);
    expect(state.results).toMatchObject({ first: 1, awaitGo: { sagaId: id }, last: 3 });
    expect(state.runs.first).toBe(1);
    expect(state.runs.last).toBe(1);
    expect(state.runs.awaitGo).toBe(2); // declared idempotent: waited again on the new owner
    // The saga may finish before this client's own membership declared the victim dead: give the view a moment.
    const viewDeadline = Date.now() + 10_000;
    while (cluster.view.members.some((member) => member.id === owner) && Date.now() < viewDeadline) await pause(100);
    expect(cluster.view.ring.owner(`saga-pausing/${id}`)).not.toBe(owner);
    await spawnNode(owner).waitForLog('node.ready', 30_000);
    await cluster.waitForMembers(3, 30_000);
  }, 90_000);

  it('lands in the dead-letter stream with its state when a compensation keeps failing', async () => {
    const handle = await cluster.client.saga(stuck).start({}, { id: 'stuck-1' });
    const state = await handle.result({ timeoutMs: 30_000 });
    expect(state.status).toBe('failed');
    expect(state.compensationError).toMatchObject({ step: 'hold', message: expect.stringContaining('warehouse') });
    expect(await tallyOf('stuck-1')).toEqual(['run hold', 'undo hold', 'undo hold', 'undo hold']);
    const letters = (await cluster.client.events.deadLetters.list()).filter((l) => l.consumer === 'saga--stuck');
    expect(letters).toHaveLength(1);
    expect(letters[0]?.eventId).toBe('stuck-1');
    expect(letters[0]?.event?.payload).toMatchObject({
      saga: 'stuck',
      id: 'stuck-1',
      state: { status: 'compensating', error: { step: 'boom' }, results: {} },
      error: { step: 'hold' },
    });
  }, 60_000);
});
