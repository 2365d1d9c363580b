/**
 * The `lucent` commands that look inside the nodes through their admin subjects, against a real nats-server and
 * two real `lucent-node` processes: status, actors, actor (and its pause / resume / stop), watch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeProcessCluster, startNodeProcessCluster } from '../../src/testing/node-process-cluster.js';
import { fixture } from './cli-fixtures.js';

const CLUSTER = 'admin-inspect';

let cluster: NodeProcessCluster;
const lucent = (...args: string[]) => cluster.cli.run(...args);
const lucentJson = <T>(...args: string[]) => cluster.cli.json<T>(...args);

beforeAll(async () => {
  cluster = await startNodeProcessCluster({
    cluster: CLUSTER,
    nodes: ['n1', 'n2', 'n3'],
    args: ['--threads', '1', '--functions', fixture('shard-functions.mjs'), '--actors', fixture('shard-actors.mjs')],
    nodeArgs: { n1: ['--tags', 'edge'] },
  });
}, 40_000);

afterAll(() => cluster?.close());

interface StatusJson {
  cluster: string;
  nats: { version: string; jetstream?: { streams: number } };
  nodes: {
    node: string;
    tags: string[];
    ready: boolean;
    version: string;
    ringShare: number;
    activeActors: number;
    callsPerSecond: number;
  }[];
}

describe('lucent status', () => {
  it('shows the cluster, NATS and JetStream usage, and every node’s own status, under load', async () => {
    // Load: calls keep flowing (a few in flight at a time) while status is asked, bounded by `stop`.
    let stop = false;
    const load = (async () => {
      let served = 0;
      while (!stop) {
        await Promise.all(Array.from({ length: 8 }, (_, i) => cluster.client.call('add', { a: i, b: 1 })));
        served += 8;
      }
      return served;
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const status = await lucentJson<StatusJson>('status');
      expect(status.cluster).toBe(CLUSTER);
      expect(status.nats.version).toMatch(/^2\./);
      expect(status.nats.jetstream?.streams).toBeGreaterThanOrEqual(1);
      expect(status.nodes.map((row) => row.node)).toEqual(['n1', 'n2', 'n3']);
      expect(status.nodes[0]).toMatchObject({ tags: ['edge'], ready: true, version: expect.stringMatching(/^\d+\./) });
      const shares = status.nodes.reduce((sum, row) => sum + row.ringShare, 0);
      expect(shares).toBeCloseTo(1, 5);
      // The calls of the last minute show as calls/s on the nodes that served them.
      expect(status.nodes.reduce((sum, row) => sum + row.callsPerSecond, 0)).toBeGreaterThan(0);
      const table = await lucent('status');
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(new RegExp(`cluster ${CLUSTER} · NATS 2\\.`));
      expect(table.stdout).toMatch(/n1.*edge.*yes.*ok/);
      expect(table.stdout).toContain('n3');
    } finally {
      stop = true;
      expect(await load).toBeGreaterThan(0);
    }
  }, 40_000);
});

describe('lucent actors and lucent actor', () => {
  it('list active actors with phase, state and revision, and show one with its context and stored snapshot', async () => {
    for (const id of ['a1', 'a2', 'a3']) await cluster.client.actor('counter', id).ask({ type: 'inc', by: 2 });
    const rows = await lucentJson<{ id: string; node: string; status: string; savedRevision: number | null }[]>(
      'actors',
      'counter',
    );
    const ours = rows.filter((row) => ['a1', 'a2', 'a3'].includes(row.id));
    expect(ours.map((row) => row.id).sort()).toEqual(['a1', 'a2', 'a3']);
    for (const row of ours) expect(row).toMatchObject({ status: 'running', savedRevision: expect.any(Number) });
    const onN1 = await lucentJson<{ node: string }[]>('actors', 'counter', '--node', 'n1');
    expect(onN1.every((row) => row.node === 'n1')).toBe(true);

    const one = await lucentJson<{
      node: string;
      active: { status: string; context: { count: number } };
      stored: { revision: number } | null;
    }>('actor', 'counter', 'a1');
    expect(one.node).toBe(ours.find((row) => row.id === 'a1')?.node);
    expect(one.active).toMatchObject({ status: 'running', context: { count: 2 } });
    expect(one.stored?.revision).toEqual(expect.any(Number));
    const text = await lucent('actor', 'counter', 'a1');
    expect(text.stdout).toMatch(/counter\/a1 on n\d\n {2}phase {4}running/);
  }, 30_000);

  it('pauses an actor from outside (its events are held), resumes it (they run), stops it (state kept)', async () => {
    const handle = cluster.client.actor('counter', 'p1');
    await handle.ask({ type: 'inc' });
    const paused = await lucentJson<{ changed: boolean; status: string }>('actor', 'counter', 'p1', 'pause');
    expect(paused).toMatchObject({ changed: true, status: 'paused' });
    const held = handle.ask({ type: 'inc' }, { timeoutMs: 15_000 });
    let settled = false;
    void held.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    const again = await lucent('actor', 'counter', 'p1', 'pause');
    expect(again.code).toBe(1); // already paused: did not apply
    const resumed = await lucentJson<{ changed: boolean; status: string }>('actor', 'counter', 'p1', 'resume');
    expect(resumed).toMatchObject({ changed: true, status: 'running' });
    expect(await held).toMatchObject({ count: 2 });
    const stopped = await lucentJson<{ changed: boolean; status: string | null }>('actor', 'counter', 'p1', 'stop');
    expect(stopped).toEqual({ node: expect.any(String), changed: true, status: null });
    const after = await lucentJson<{ active: unknown; stored: { snapshot: { context: { count: number } } } }>(
      'actor',
      'counter',
      'p1',
    );
    expect(after.active).toBeNull();
    expect(after.stored.snapshot.context.count).toBe(2);
    expect(await handle.ask({ type: 'inc' })).toMatchObject({ count: 3 });
  }, 40_000);

  it('refuses an unknown lifecycle command with a usage error', async () => {
    const bad = await lucent('actor', 'counter', 'a1', 'explode');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/one of pause, resume, stop/);
  });
});

describe('lucent watch', () => {
  it('prints events of a pattern as they are published, and stops after --count', async () => {
    const watcher = cluster.cli.start('watch', 'Watch.>', '--count', '2');
    let done = false;
    void watcher.exited.then(() => {
      done = true;
    });
    // The watcher subscribes after it connected: keep emitting (bounded) until it has seen two.
    for (let i = 0; i < 60 && !done; i++) {
      await cluster.client.emit(i % 2 === 0 ? 'Watch.a' : 'Watch.b', { i });
      await cluster.client.emit('Other', { i });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await watcher.exit()).code).toBe(0);
    const lines = watcher.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; data: { i: number } });
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.type.startsWith('Watch.'))).toBe(true);
    expect(lines[1]?.data.i).toBeGreaterThan(lines[0]?.data.i ?? Number.POSITIVE_INFINITY);
  }, 30_000);
});
