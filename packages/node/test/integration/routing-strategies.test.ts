/**
 * Declared routing end to end: a real nats-server and three real `lucent-node` processes with tags, a client
 * that routes with its membership view (load reports included). Each function answers with the node that ran it.
 *
 * ```
 *  n1  tags n1, aave, small        pin('protocol'): aave -> n1|n2, uni -> n3, curve -> NoCapacityError
 *  n2  tags n2, aave, large        range('price', [0, 100, ∞], [small, large]): 5 -> n1|n3, 500 -> n2
 *  n3  tags n3, uni,  small        roundRobin, leastLoaded, hash('key'), burn = pin('node') (load one node)
 *  n1, n2 also load pair-functions.mjs: roundRobin and leastLoaded there must never reach n3
 * ```
 * Tests run in order on one cluster: the idle-cluster strategies first, then the ones that load a node.
 */
import {
  defineFunction,
  FunctionDisabledError,
  hash,
  leastLoaded,
  NoCapacityError,
  OverloadedError,
  pin,
  RoutingError,
  range,
  roundRobin,
} from '@lucent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { codeOfSettled } from '../error-code.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';

const CLUSTER = 'routes';
const HEARTBEAT_MS = 250;
const TAGS = { n1: 'n1,aave,small', n2: 'n2,aave,large', n3: 'n3,uni,small' } as const;
const NODES = Object.keys(TAGS) as (keyof typeof TAGS)[];

// The client's copy of the fixture's metadata (`strategy-functions.mjs`): names and routing are what it places by.
const node = () => '';
const fns = {
  pinned: defineFunction(
    { name: 'pinned', routing: pin('protocol') },
    (_ctx, _input: { protocol: string; i?: number }) => node(),
  ),
  ranged: defineFunction(
    { name: 'ranged', routing: range('price', [0, 100, Number.POSITIVE_INFINITY], ['small', 'large']) },
    (_ctx, _input: { price: number }) => node(),
  ),
  rotated: defineFunction({ name: 'rotated', routing: roundRobin() }, (_ctx, _input: { i: number }) => node()),
  least: defineFunction({ name: 'least', routing: leastLoaded() }, (_ctx, _input: { i: number }) => node()),
  owned: defineFunction({ name: 'owned', routing: hash('key') }, (_ctx, _input: { key: string }) => node()),
  // The same function called without client retries: what the owner itself answers.
  ownedOnce: defineFunction(
    { name: 'owned', routing: hash('key'), retry: { maxAttempts: 1 } },
    (_ctx, _input: { key: string }) => node(),
  ),
  burn: defineFunction({ name: 'burn', routing: pin('node') }, (_ctx, _input: { node: string; ms: number }) => node()),
  varying: defineFunction({ name: 'varying', routing: roundRobin() }, (_ctx, _input: { slowOn: string; ms: number }) =>
    node(),
  ),
  // `pair-functions.mjs`, loaded by n1 and n2 only.
  paired: defineFunction({ name: 'paired', routing: roundRobin() }, (_ctx, _input: { i: number }) => node()),
  pairedLeast: defineFunction({ name: 'pairedLeast', routing: leastLoaded() }, (_ctx, _input: { i: number }) => node()),
};
/** The nodes that load `pair-functions.mjs` besides `strategy-functions.mjs`. */
const PAIR_HOSTS: readonly string[] = ['n1', 'n2'];

const processes = new NodeProcesses();
let server: NatsServerHandle;
let cluster: ClusterClient;
const httpPorts = new Map<string, number>();

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  const started = NODES.map((id) =>
    processes.start({
      env: { TEST_NODE_ID: id },
      args: clusterNodeArgs(id, options, [
        ...['--threads', '1', '--tags', TAGS[id], '--load-report-interval-ms', '200'],
        ...['--functions', fixture('strategy-functions.mjs')],
        ...(PAIR_HOSTS.includes(id) ? [fixture('pair-functions.mjs')] : []),
      ]),
    }),
  );
  for (const [i, cli] of started.entries()) {
    const ready = await cli.waitForLog('node.ready', 25_000);
    httpPorts.set(NODES[i]!, ready.httpPort as number);
  }
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(NODES.length, 25_000);
}, 40_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

/** How many of `answers` each node gave. */
function countBy(answers: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of answers) counts[node] = (counts[node] ?? 0) + 1;
  return counts;
}

/** Polls `check` every 50 ms until it returns true, failing after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function loadOf(id: string): number {
  return cluster.view.byId.get(id)?.loadScore ?? Number.NaN;
}

/**
 * Waits until every node reports itself well below the overload threshold: a burst of the previous test may
 * still show in the last report (a node at >= 0.9 is rightly skipped until its next one).
 */
function quiet(): Promise<void> {
  return until('the cluster to be quiet', () => NODES.every((id) => loadOf(id) < 0.5));
}

describe('declared routing across three tagged lucent-node processes', () => {
  it('pin lands only on the shards tagged for the value; no tagged shard is NoCapacityError', async () => {
    const aave = await Promise.all(
      Array.from({ length: 40 }, (_, i) => cluster.client.call(fns.pinned, { protocol: 'aave', i })),
    );
    expect(new Set(aave).size).toBeGreaterThan(0);
    for (const node of aave) expect(['n1', 'n2']).toContain(node);
    const uni = await Promise.all(
      Array.from({ length: 20 }, () => cluster.client.call(fns.pinned, { protocol: 'uni' })),
    );
    expect(new Set(uni)).toEqual(new Set(['n3']));
    // Nothing is tagged curve: refused at the client, naming the strategy and the tag.
    const none = await cluster.client.call(fns.pinned, { protocol: 'curve' }).catch((error: unknown) => error);
    expect(NoCapacityError.is(none)).toBe(true);
    expect((none as NoCapacityError).details.target).toBe('pin(protocol)');
    expect((none as NoCapacityError).details.reason).toContain("'curve'");
    // A call without the field never leaves the client.
    expect(await codeOfSettled(cluster.client.call(fns.pinned, { other: 1 } as never))).toBe(RoutingError.code);
    // By name (queue group, any node): the receiving node forwards to a tagged shard.
    for (let i = 0; i < 10; i++) expect(await cluster.client.call('pinned', { protocol: 'uni' })).toBe('n3');
  });

  it('range splits by its bounds onto the shards tagged for each range', async () => {
    const small = await Promise.all(
      Array.from({ length: 30 }, (_, i) => cluster.client.call(fns.ranged, { price: i })),
    );
    for (const node of small) expect(['n1', 'n3']).toContain(node);
    const large = await Promise.all(
      Array.from({ length: 30 }, (_, i) => cluster.client.call(fns.ranged, { price: 100 + i * 50 })),
    );
    expect(new Set(large)).toEqual(new Set(['n2']));
    expect(await codeOfSettled(cluster.client.call(fns.ranged, { price: -1 }))).toBe(RoutingError.code);
  });

  it('roundRobin spreads calls evenly (each node within ±10 % of its share)', async () => {
    await quiet();
    const answers: string[] = [];
    for (let i = 0; i < 300; i++) answers.push(await cluster.client.call(fns.rotated, { i }));
    const counts = countBy(answers);
    for (const node of NODES) {
      expect(counts[node]).toBeGreaterThanOrEqual(90);
      expect(counts[node]).toBeLessThanOrEqual(110);
    }
  });

  it('roundRobin and leastLoaded place a function only on the nodes that loaded it (2 of 3)', async () => {
    await quiet();
    // The client's view knows who hosts what from the heartbeats' modules.
    expect(cluster.view.hostRings.hostsOf('fn:paired')).toEqual(['n1', 'n2']);
    const answers: string[] = [];
    for (let i = 0; i < 60; i++) answers.push(await cluster.client.call(fns.paired, { i }));
    const counts = countBy(answers);
    expect(counts.n3).toBeUndefined();
    // Rotation over the two hosts: 30 each unless a load report briefly marks one overloaded.
    expect(Object.keys(counts).sort()).toEqual(['n1', 'n2']);
    for (const node of PAIR_HOSTS) expect(counts[node]).toBeGreaterThanOrEqual(24);
    const least = await Promise.all(Array.from({ length: 40 }, (_, i) => cluster.client.call(fns.pairedLeast, { i })));
    for (const node of least) expect(PAIR_HOSTS).toContain(node);
  });

  it('A/B weights 90/10 split a function by name within tolerance over 2,000 calls', async () => {
    const versions: string[] = [];
    for (let round = 0; round < 20; round++) {
      versions.push(...(await Promise.all(Array.from({ length: 100 }, () => cluster.client.call<string>('ab', {})))));
    }
    const share = versions.filter((v) => v === '1').length / versions.length;
    // Binomial sd at p = 0.9, n = 2000 is 0.67 %: ±3 % is over four of them.
    expect(share).toBeGreaterThan(0.87);
    expect(share).toBeLessThan(0.93);
    expect(new Set(versions)).toEqual(new Set(['1', '2']));
  });

  it('a disabled version never runs, by name or by id', async () => {
    const versions = await Promise.all(Array.from({ length: 300 }, () => cluster.client.call<string>('gated', {})));
    expect(versions).not.toContain('2');
    expect(new Set(versions)).toEqual(new Set(['1', '3']));
    expect(await codeOfSettled(cluster.client.call('gated@2', {}))).toBe(FunctionDisabledError.code);
  });

  it('leastLoaded avoids a node kept busy by a CPU-heavy function', async () => {
    await quiet();
    // One warm-up burn teaches n1's pool the run time (no batching of burns), then a backlog keeps it busy.
    expect(await cluster.client.call(fns.burn, { node: 'n1', ms: 50 })).toBe('n1');
    const burning = Array.from({ length: 12 }, () => cluster.client.call(fns.burn, { node: 'n1', ms: 400 }));
    await until(
      'n1 to report itself the busiest',
      () => loadOf('n1') >= 0.5 && loadOf('n1') > loadOf('n2') && loadOf('n1') > loadOf('n3'),
    );
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) answers.push(await cluster.client.call(fns.least, { i }));
    expect(answers).not.toContain('n1');
    expect(await Promise.all(burning)).toEqual(Array(12).fill('n1'));
  }, 30_000);

  it('an overloaded owner answers OverloadedError with a retry-after instead of queueing', async () => {
    const key = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find((k) => cluster.view.ring.owner(k) === 'n2')!;
    expect(await cluster.client.call(fns.owned, { key })).toBe('n2');
    expect(await cluster.client.call(fns.burn, { node: 'n2', ms: 50 })).toBe('n2');
    // One thread busy and 20 queued: load 0.8 · 1 + 0.2 · 1 = 1 >= 0.9.
    const burning = Array.from({ length: 21 }, () => cluster.client.call(fns.burn, { node: 'n2', ms: 300 }));
    let refusal: unknown;
    await until('n2 to refuse its key', async () => {
      refusal = await cluster.client.call(fns.ownedOnce, { key }).then(
        () => undefined,
        (error: unknown) => error,
      );
      return refusal !== undefined;
    });
    expect(OverloadedError.is(refusal)).toBe(true);
    const details = (refusal as OverloadedError).details;
    expect(details.node).toBe('n2');
    expect(details.load).toBeGreaterThanOrEqual(0.9);
    expect(details.retryAfterMs).toBe(200);
    // With the default retry policy the client sends the pure call on to the key's next node instead.
    expect(['n1', 'n3']).toContain(await cluster.client.call(fns.owned, { key }));
    await Promise.all(burning);
    // Once its backlog is gone the owner serves its key again.
    await until(
      'n2 to serve again',
      async () => (await cluster.client.call(fns.owned, { key }).catch(() => '')) === 'n2',
    );
  }, 40_000);

  it('a function whose p50 runs past 1.5x its baseline on one node loses that node’s preference, in metrics too', async () => {
    await quiet();
    // Rounds of 15 calls at once, round-robin: 5 per node per round, queueing included in every run time.
    const round = (slowOn: string) =>
      Promise.all(Array.from({ length: 15 }, () => cluster.client.call(fns.varying, { slowOn, ms: 8 })));
    // A baseline on every node, for a few load intervals (200 ms each).
    const fastUntil = Date.now() + 1_500;
    while (Date.now() < fastUntil) await round('none');
    // Then n3 turns slow for this function: 8 ms per call against a baseline of a millisecond or two.
    await until('n3 to report varying degraded', async () => {
      await round('n3');
      return cluster.membership.loadReports().get('n3')?.degraded.includes('varying') === true;
    });
    const metrics = await (await fetch(`http://127.0.0.1:${httpPorts.get('n3')}/metrics`)).text();
    expect(metrics).toMatch(/lucent_function_degraded\{[^}]*function="varying"[^}]*\} 1/);
    // Placement now passes n3 over for this function (and only for it).
    await until('the view to carry it', () => cluster.view.byId.get('n3')?.load.degraded?.includes('varying') === true);
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) answers.push(await cluster.client.call(fns.varying, { slowOn: 'n3', ms: 8 }));
    expect(answers).not.toContain('n3');
    expect(new Set(answers)).toEqual(new Set(['n1', 'n2']));
  }, 30_000);
});
