/**
 * Draining with real processes: a real nats-server (JetStream: actor state and leases in KV) and three
 * `lucent-node` processes with short activation leases (TTL 800 ms). The actors save their state only when they
 * stop, so a final save that is lost (fenced out by a new owner) loses every count.
 *
 *  - a SIGTERM drain slower than the lease TTL (an in-flight 2.5 s call) keeps renewing its leases until its
 *    actors are saved and handed off: their new owners wait for them and continue from the saved counts;
 *  - `lucent drain <node>` makes a node leave, hand its actors off with their state and exit 0, and prints what
 *    moved where; an unknown node is exit 1 with `LUCENT_NODE_UNAVAILABLE`;
 *  - `lucent status` shows idle nodes as scale-in candidates;
 *  - an owner at load >= 0.9 answers an actor ask with `OverloadedError` and a retry-after, counted.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineFunction } from '@lucent/core';
import { pin } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterStatus, statusText } from '../../src/admin/inspect-format.js';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import type { DrainReport } from '../../src/shard/drain-report.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, fixture } from './cli-fixtures.js';
import { until } from './wait-until.js';

const LUCENT_CLI = fileURLToPath(new URL('../../bin/lucent.js', import.meta.url));
const CLUSTER = 'drain';
const HEARTBEAT_MS = 200;
const LEASE_TTL_MS = 800;
const NODES = ['n1', 'n2', 'n3'] as const;
const ACTORS = 24;

const burn = defineFunction({ name: 'burn', routing: pin('node') }, (_ctx, _input: { node: string; ms: number }) => '');
const processes = new NodeProcesses();
const nodes = new Map<string, NodeProcess>();
let server: NatsServerHandle;
let cluster: ClusterClient;

function lucent(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, LUCENT_NATS: server.url, LUCENT_CLUSTER: CLUSTER };
  const all = [LUCENT_CLI, ...args, '--heartbeat-interval-ms', String(HEARTBEAT_MS)];
  return new Promise((resolve) => {
    execFile(process.execPath, all, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  for (const id of NODES) {
    const node = processes.start({
      env: { TEST_NODE_ID: id },
      args: clusterNodeArgs(id, options, [
        ...['--threads', '1', '--tags', id, '--load-report-interval-ms', '100', '--rebalance', 'off'],
        ...['--lease-ttl-ms', String(LEASE_TTL_MS), '--lease-renew-interval-ms', '200', '--drain-timeout-ms', '10000'],
        ...['--functions', fixture('strategy-functions.mjs'), '--actors', fixture('save-on-stop-actors.mjs')],
      ]),
    });
    nodes.set(id, node);
  }
  for (const node of nodes.values()) await node.waitForLog('node.ready', 25_000);
  cluster = await connectCluster({ servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS });
  await cluster.waitForMembers(NODES.length, 25_000);
}, 40_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

const ownerOf = (id: string) => cluster.view.ring.owner(`tally/${id}`);
const inc = (id: string, timeoutMs = 15_000) =>
  cluster.client.actor<{ type: 'inc' }, { count: number }>('tally', id).ask({ type: 'inc' }, { timeoutMs });

/** Counts every actor of `ids` up to `count` (through the client, which routes by its view). */
async function seed(ids: readonly string[], count: number): Promise<void> {
  for (const id of ids) for (let i = 0; i < count; i++) await inc(id);
}

describe('draining lucent-node processes', () => {
  it('lucent drain of a node that is not a live member exits 1 with LUCENT_NODE_UNAVAILABLE', async () => {
    const result = await lucent('drain', 'nope');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LUCENT_NODE_UNAVAILABLE');
    expect(result.stderr).toContain('nope');
  }, 20_000);

  it('lucent status shows nodes that stayed idle as scale-in candidates', async () => {
    // 30 samples below 0.2 at 100 ms: about 3 s after start.
    let status: ClusterStatus | undefined;
    await until(
      'a scale-in candidate in lucent status',
      async () => {
        const result = await lucent('status', '--json');
        status = JSON.parse(result.stdout) as ClusterStatus;
        return status.nodes.some((row) => row.scaleInCandidate);
      },
      20_000,
    );
    const row = status!.nodes.find((row) => row.scaleInCandidate)!;
    expect(row.ringWeight).toBe(1);
    // The table the command prints for people is built from the same rows.
    const table = statusText(status!);
    expect(table).toContain('scale-in');
    expect(table).toContain('candidate');
  }, 30_000);

  it('a SIGTERM drain slower than the lease TTL keeps its leases: the actors move with their state', async () => {
    const ids = Array.from({ length: ACTORS }, (_, i) => `s${i}`);
    await seed(ids, 3);
    const onN3 = ids.filter((id) => ownerOf(id) === 'n3');
    expect(onN3.length).toBeGreaterThan(0);
    const n3 = nodes.get('n3')!;
    // An in-flight call holds n3's drain for 2.5 s, three lease TTLs: its actors stop (and save) only after it.
    // (The client gives up on a node that left and retries the call elsewhere: no other node is tagged n3.)
    void cluster.client.call(burn, { node: 'n3', ms: 2_500 }, { timeoutMs: 20_000 }).catch(() => '');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();
    n3.signal('SIGTERM');
    await until('n3 to leave the client’s view', () => !cluster.view.byId.has('n3'), 5_000);
    // Asked on their new owners at once: each waits for n3's lease rather than take it over after the TTL and
    // fence n3's final save out (that would answer from no state at all: count 1).
    const answers = await Promise.all(onN3.map((id) => inc(id)));
    expect(answers).toEqual(onN3.map(() => ({ count: 4 })));
    expect((await n3.exit(15_000)).code).toBe(0);
    const stopped = n3.lines.find((line) => line.msg === 'node.stopped');
    expect(Date.now() - signalledAt).toBeGreaterThan(2 * LEASE_TTL_MS);
    expect(stopped).toMatchObject({ callsDrained: 1, callsLeft: 0 });
    expect(stopped?.actorsSaved).toBeGreaterThanOrEqual(onN3.length);
    expect(n3.lines.filter((line) => line.msg === 'actor.persist_failed' || line.msg === 'actors.lease_lost')).toEqual(
      [],
    );
  }, 40_000);

  it('lucent drain <node> hands its actors off with their state, says where they went, and the node exits 0', async () => {
    const ids = Array.from({ length: ACTORS }, (_, i) => `c${i}`);
    await seed(ids, 2);
    const onN2 = ids.filter((id) => ownerOf(id) === 'n2');
    expect(onN2.length).toBeGreaterThan(0);
    const n2 = nodes.get('n2')!;
    const result = await lucent('drain', 'n2', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as DrainReport;
    expect(report.node).toBe('n2');
    expect(report.actorsSaved).toBe(report.total);
    const moved = new Map(report.actors.map((actor) => [actor.id, actor.to]));
    for (const id of onN2) expect(moved.get(id)).toBe('n1');
    expect((await n2.exit(15_000)).code).toBe(0);
    expect(n2.lines.some((line) => line.msg === 'node.drained')).toBe(true);
    await until('n2 to leave the client’s view', () => !cluster.view.byId.has('n2'), 5_000);
    for (const id of onN2) expect(await inc(id)).toEqual({ count: 3 });
  }, 40_000);

  it('an owner at load >= 0.9 answers an actor ask with OverloadedError and a retry-after, and counts it', async () => {
    const n1 = nodes.get('n1')!;
    // A backlog of CPU-heavy calls on n1's one thread: its queue needs seconds to drain, so it scores >= 0.9.
    await cluster.client.call(burn, { node: 'n1', ms: 50 });
    const burning = Array.from({ length: 12 }, () =>
      cluster.client.call(burn, { node: 'n1', ms: 300 }, { timeoutMs: 30_000 }).catch(() => ''),
    );
    let refusal: { code?: string; details?: { retryAfterMs?: number; node?: string } } | undefined;
    await until('an ask refused with OverloadedError', async () => {
      // A timeout no longer than the retry-after (100 ms here): the client hands the refusal back at once.
      refusal = await inc('c0', 100).then(
        () => undefined,
        (error: unknown) => error as typeof refusal,
      );
      return refusal?.code === 'LUCENT_OVERLOADED';
    });
    expect(refusal?.details).toMatchObject({ node: 'n1' });
    expect(refusal?.details?.retryAfterMs).toBeGreaterThan(0);
    const port = (await n1.waitForLog('node.ready')).httpPort as number;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/lucent_errors_total\{[^}]*code="LUCENT_OVERLOADED"[^}]*\} [1-9]/);
    // With time to spare the client waits the refusals out and the ask is answered.
    expect(await inc('c0', 15_000)).toMatchObject({ count: expect.any(Number) });
    await Promise.all(burning);
  }, 40_000);
});
