/**
 * Deployed event handlers (issue 13) with a real nats-server (JetStream) and two real `lucent-node` processes,
 * driven through the `lucent` commands: a deployed function that `handles` an event type consumes the durable
 * event stream as a `--functions` one does.
 *
 * deploy tally@1 (handles Counted): each event runs once in the cluster, on v1; deploy tally@2 and disable v1:
 * v2 handles the events from then on; disable tally: events are kept, nothing handles them; enable tally@2:
 * the kept events run on v2; roll back: v1 handles them again (the README's walk-through in "Deploying functions").
 *
 * The nodes' bundle cache (under their own TMPDIR): a node keeps the files of the versions it has loaded only,
 * removes its directory when it stops, and a directory left by a dead process is removed at the next start.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Envelope, EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as connectClient, type LucentClient } from '../../src/client/lucent-client.js';
import { eventStreamName } from '../../src/events/event-consumer-plan.js';
import { decodeEventMessage } from '../../src/events/event-message.js';
import { collectRegistryStats } from '../../src/registry/registry-stats.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture, runLucent } from './cli-fixtures.js';
import { applyEverywhere } from './registry-changes.js';
import { until } from './wait-until.js';

const CLUSTER = 'regev';
const HEARTBEAT_MS = 200;
const processes = new NodeProcesses();
const codec = new EnvelopeCodec();
let server: NatsServerHandle;
let raw: NatsConnection;
let client: LucentClient;
const nodes: NodeProcess[] = [];
let emitted = 0;
/** The nodes' TMPDIR: their bundle cache root is `<tmp>/lucent-modules`. */
let tmp: string;
const cacheRoot = () => join(tmp, 'lucent-modules');
/** A directory a killed process left behind (a pid that has exited), put there before the nodes start. */
let staleDir: string;

/** Bundle files in the cache, per node directory. */
async function cachedBundles(): Promise<string[][]> {
  const dirs = (await readdir(cacheRoot())).sort();
  return Promise.all(dirs.map(async (dir) => (await readdir(join(cacheRoot(), dir))).sort()));
}

/** Runs `lucent <args>` against the test cluster and expects it to succeed. */
async function lucent(...args: string[]): Promise<string> {
  const run = await runLucent({ cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, args);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  return run.out;
}

/** Runs `lucent <args>` and resolves once every node has applied the registry after it. */
const changeEverywhere = (...args: string[]) => applyEverywhere(nodes, args.join(' '), () => lucent(...args));

/** Emits `count` Counted events (fresh `n`s); resolves with their `n`s. */
async function emitCounted(count: number): Promise<number[]> {
  const ns: number[] = [];
  for (let i = 0; i < count; i++) {
    const n = emitted++;
    await client.emit('Counted', { n });
    ns.push(n);
  }
  return ns;
}

/** Nodes that ran tally (`ctx.shard.id` in the results): a deployed version sees its node as static ones do. */
const ranOn = new Set<string>();

/** The stored `tallyCompleted` results of events `ns`, by `n` (a run's result: the version that ran it). */
async function completions(ns: readonly number[]): Promise<Map<number, string>> {
  const jsm = await raw.jetstreamManager();
  const stream = eventStreamName(CLUSTER);
  const info = await jsm.streams.info(stream);
  const wanted = new Set(ns);
  const found = new Map<number, string>();
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (msg?.subject !== eventSubject(CLUSTER, 'tallyCompleted')) continue;
    for (const event of decodeEventMessage(msg.data, codec) as Envelope[]) {
      const result = event.payload as { version: string; n: number; shard: string };
      if (!wanted.has(result.n)) continue;
      found.set(result.n, result.version);
      ranOn.add(result.shard);
    }
  }
  return found;
}

/** Waits for the completions of every event in `ns`; resolves with the versions that ran them, counted. */
async function handledBy(ns: readonly number[]): Promise<Map<string, number>> {
  let found = new Map<number, string>();
  await until(`${ns.length} events handled`, async () => {
    found = await completions(ns);
    return found.size === ns.length;
  });
  const versions = new Map<string, number>();
  for (const version of found.values()) versions.set(version, (versions.get(version) ?? 0) + 1);
  return versions;
}

/** Runs of deployed tally versions on all nodes, by the nodes' registry counters. */
async function tallyRuns(): Promise<number> {
  const stats = await collectRegistryStats(raw, CLUSTER, 500);
  expect(stats.length).toBe(nodes.length);
  let runs = 0;
  for (const node of stats) for (const c of node.counters) if (c.ref.startsWith('tally@')) runs += c.calls;
  return runs;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lucent-regev-'));
  const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
  staleDir = join(cacheRoot(), `${deadPid}.0`);
  await mkdir(staleDir, { recursive: true });
  await writeFile(join(staleDir, 'left-behind.mjs'), 'export {};\n');
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  for (const id of ['e1', 'e2']) {
    nodes.push(
      processes.start({
        args: clusterNodeArgs(id, options, ['--threads', '1', '--functions', fixture('shard-functions.mjs')]),
        env: { TMPDIR: tmp },
      }),
    );
  }
  await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 30_000)));
  raw = await connect({ servers: server.url });
  client = await connectClient({ servers: server.url, cluster: CLUSTER });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

describe('deployed event handlers', () => {
  it('a deployed handler consumes the durable stream: each event runs once in the cluster', async () => {
    await changeEverywhere('deploy', fixture('registry/tally-v1.mjs'));
    const ns = await emitCounted(20);
    expect(await handledBy(ns)).toEqual(new Map([['1', 20]]));
    // Settle: a second run of an event would show in the counters (its Completed is deduplicated by id).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await tallyRuns()).toBe(20);
    expect([...ranOn].every((shard) => shard === 'e1' || shard === 'e2')).toBe(true);
    expect(ranOn.size).toBeGreaterThan(0);
  }, 60_000);

  it('a new version takes over: deploy v2, disable v1, and v2 handles the events', async () => {
    await changeEverywhere('deploy', fixture('registry/tally-v2.mjs'));
    await changeEverywhere('disable', 'tally@1');
    const ns = await emitCounted(10);
    expect(await handledBy(ns)).toEqual(new Map([['2', 10]]));
  }, 60_000);

  it('disabled, its events are kept and not handled; enabled again, they run on the enabled version', async () => {
    await changeEverywhere('disable', 'tally');
    const ns = await emitCounted(5);
    // No version loaded any more: the nodes' caches hold no bundle (removed once the pools closed).
    await until('the retired bundles removed', async () =>
      (await cachedBundles()).every((files) => files.length === 0),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await completions(ns)).size).toBe(0);
    await changeEverywhere('enable', 'tally@2');
    expect(await handledBy(ns)).toEqual(new Map([['2', 5]]));
  }, 60_000);

  it('a rollback hands the events back to the previous version', async () => {
    await changeEverywhere('rollback', 'tally');
    const ns = await emitCounted(10);
    expect(await handledBy(ns)).toEqual(new Map([['1', 10]]));
  }, 60_000);
});

describe('the bundle cache', () => {
  it('holds the loaded bundles of live nodes only: a dead process’s directory went at start, a stopped node’s goes', async () => {
    // After the rollback both nodes have v1 loaded only (v2, above it and disabled, was retired): one bundle each.
    await until('v2’s bundles removed', async () => (await cachedBundles()).every((files) => files.length === 1));
    expect(await cachedBundles()).toHaveLength(2);
    expect((await readdir(cacheRoot())).some((dir) => join(cacheRoot(), dir) === staleDir)).toBe(false);
    const stopped = await nodes[1]!.stop();
    expect(stopped.code).toBe(0);
    expect(await readdir(cacheRoot())).toHaveLength(1);
  }, 30_000);
});
