/**
 * Hot swaps of deployed versions (issue 13) with a real nats-server (JetStream) and two real `lucent-node`
 * processes, driven through the `lucent` commands: a new version is loaded into the node's warm deployed workers
 * (no worker thread starts for it), while calls run, and none fails; a worker that replaces a crashed one serves
 * every loaded version; a retired version's call still running finishes on it, and the version leaves the
 * workers (its bundle file removed) only once that call is done.
 *
 * Worker threads are read from the nodes' `registry.applied` log lines (`workers: { threads, started }`).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callEnvelope, EnvelopeCodec, nodeSubject, WorkerCrashedError } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import { clusterNodeArgs, fixture, runLucent } from './cli-fixtures.js';
import { applyEverywhere } from './registry-changes.js';
import { until } from './wait-until.js';

const CLUSTER = 'swap';
const HEARTBEAT_MS = 200;
/** One deployed worker per node: after a crash, every call of that node runs on the replacement. */
const THREADS = 1;
const processes = new NodeProcesses();
let server: NatsServerHandle;
let cluster: ClusterClient;
/** Direct requests to one node's subject. */
let raw: NatsTransport;
const codec = new EnvelopeCodec();
const nodes: NodeProcess[] = [];
/** The nodes' TMPDIR: their bundle cache root is `<tmp>/lucent-modules`. */
let tmp: string;

type Swapped = { version: string; n: number; shard: string; threadId: number };

/** `shard/threadId` of the worker a call ran on. */
const workerOf = (result: Swapped) => `${result.shard}/${result.threadId}`;
/** The workers calls ran on so far. */
const seenWorkers = new Set<string>();

/** Runs `lucent <args>` against the test cluster and expects it to succeed. */
async function lucent(...args: string[]): Promise<void> {
  const run = await runLucent({ cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, args);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
}

/** The `registry.applied` log lines of `node`, in order. */
const applied = (node: NodeProcess) => node.lines.filter((line) => line.msg === 'registry.applied');

/** The deployed workers of `node` as its last `registry.applied` line says. */
function workersOf(node: NodeProcess): { threads: number; started: number } {
  const last = applied(node).at(-1);
  return last?.workers as { threads: number; started: number };
}

/** True once `node` logged that version `ref` was retired (its calls done, unloaded from every worker). */
const retired = (node: NodeProcess, ref: string) =>
  node.lines.some((line) => line.msg === 'registry.version_retired' && line.function === ref);

/** Runs `lucent <args>` and resolves once every node has applied the registry after it. */
const changeEverywhere = (...args: string[]) => applyEverywhere(nodes, args.join(' '), () => lucent(...args));

/** True once both nodes advertise `ref` (it is routable). */
const routable = (ref: string) =>
  cluster.view.members.filter((m) => m.modules?.includes(`fn:${ref}`) === true).length === nodes.length;

/** The bundle files in the nodes' caches, all nodes together. */
async function cachedBundles(): Promise<string[]> {
  const root = join(tmp, 'lucent-modules');
  const dirs = await readdir(root);
  return (await Promise.all(dirs.map((dir) => readdir(join(root, dir))))).flat();
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lucent-swap-'));
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  for (const id of ['s1', 's2']) {
    const args = clusterNodeArgs(id, options, ['--threads', String(THREADS), '--functions', fixture('math.mjs')]);
    nodes.push(processes.start({ args, env: { TMPDIR: tmp } }));
  }
  await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 30_000)));
  cluster = await connectCluster({
    servers: server.url,
    cluster: CLUSTER,
    heartbeatIntervalMs: HEARTBEAT_MS,
    registry: {},
  });
  await cluster.waitForMembers(nodes.length, 30_000);
  raw = await NatsTransport.connect({ servers: server.url, cluster: CLUSTER });
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

describe('hot swap into warm workers', () => {
  it('swaps in v2 under steady calls: no call fails, both versions serve, and no worker thread starts', async () => {
    await changeEverywhere('deploy', fixture('registry/swap-v1.mjs'));
    await until('swap@1 routable', () => routable('swap@1'));
    const startedBefore = nodes.map((node) => workersOf(node).started);
    expect(nodes.map((node) => workersOf(node).threads)).toEqual([THREADS, THREADS]);

    const served = new Map<string, number>();
    const failures: unknown[] = [];
    let stop = false;
    const callers = Array.from({ length: 20 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const result = await cluster.client.call<Swapped>('swap', { n: c * 1_000_000 + i, waitMs: 0 });
          seenWorkers.add(workerOf(result));
          served.set(result.version, (served.get(result.version) ?? 0) + 1);
        } catch (error) {
          failures.push(error);
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await changeEverywhere('deploy', fixture('registry/swap-v2.mjs'));
    await until('swap@2 routable', () => routable('swap@2'));
    await until('calls served by v2', () => (served.get('2') ?? 0) >= 200, 30_000);
    stop = true;
    await Promise.all(callers);

    expect(failures).toEqual([]);
    expect(served.get('1')).toBeGreaterThan(0);
    // The new version runs on the workers that were running: the count of threads ever started did not move.
    expect(nodes.map((node) => workersOf(node).started)).toEqual(startedBefore);
    expect(nodes.map((node) => workersOf(node).threads)).toEqual([THREADS, THREADS]);
  }, 90_000);

  it('replaces a crashed worker with one that serves both versions loaded before the crash', async () => {
    const startedBefore = nodes.map((node) => workersOf(node).started);
    // Kills one deployed worker on the node the call lands on (one attempt: no retry on another worker).
    await expect(cluster.client.call('swapExit', null)).rejects.toSatisfy((e: unknown) => WorkerCrashedError.is(e));
    // Calls of both versions to each node (its subject: no routing choice) until both have run on a worker not
    // seen before the crash: the replacement (the node's one deployed worker).
    const onReplacement = new Set<string>();
    await until(
      'both versions served by the replacement worker',
      async () => {
        for (const shard of ['s1', 's2']) {
          for (const version of ['1', '2']) {
            const envelope = callEnvelope(`swap@${version}`, { n: 0, waitMs: 0 }, { origin: 'test' });
            const answer = codec.decode(await raw.request(nodeSubject(CLUSTER, shard), codec.encode(envelope), 10_000));
            const result = answer.payload as Swapped;
            expect(result.version).toBe(version);
            if (!seenWorkers.has(workerOf(result))) onReplacement.add(`${workerOf(result)} ${result.version}`);
          }
        }
        return [...onReplacement].some((entry) => entry.endsWith(' 1') && onReplacement.has(entry.replace(/1$/, '2')));
      },
      30_000,
    );
    // A registry change makes the nodes log their workers again: one thread was started, on one node.
    await changeEverywhere('weight', 'swap@1', '50');
    const startedAfter = nodes.map((node) => workersOf(node).started);
    expect(startedAfter.reduce((a, b) => a + b, 0)).toBe(startedBefore.reduce((a, b) => a + b, 0) + 1);
    expect(nodes.map((node) => workersOf(node).threads)).toEqual([THREADS, THREADS]);
  }, 60_000);

  it('retires a version only once its running call is done: the call finishes on it, then its file goes', async () => {
    await changeEverywhere('deploy', fixture('registry/swap-v3.mjs'));
    await until('swap@3 routable', () => routable('swap@3'));
    const filesBefore = await cachedBundles();
    // v1's bundle (swap-v1.mjs) is one file per node; 3 versions loaded on each node.
    expect(filesBefore.length).toBe(3 * nodes.length);
    const waitMs = 4_000;
    const startedAt = Date.now();
    const slow = cluster.client.call<Swapped>('swap@1', { n: -1, waitMs }, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // v1 and v2 disabled: v2 stays loaded (what a rollback turns on again), v1 is retired.
    await changeEverywhere('disable', 'swap@1');
    await changeEverywhere('disable', 'swap@2');
    await changeEverywhere('disable', 'swapExit@1');
    // Every node has dropped v1 by now, while the call still runs.
    const retiredWhileRunning = nodes.map((node) => retired(node, 'swap@1'));
    expect(Date.now() - startedAt).toBeLessThan(waitMs - 500);
    const result = await slow;
    expect(result.version).toBe('1');
    const servedBy = ['s1', 's2'].indexOf(result.shard);
    // The node the call ran on had not unloaded v1 while it ran; it does once the call is done.
    expect(retiredWhileRunning[servedBy]).toBe(false);
    await until('swap@1 retired on both nodes', () => nodes.every((node) => retired(node, 'swap@1')));
    expect(nodes.every((node) => !retired(node, 'swap@2'))).toBe(true);
    await until('swap-v1 bundle removed', async () => (await cachedBundles()).length === 2 * nodes.length);
  }, 90_000);
});
