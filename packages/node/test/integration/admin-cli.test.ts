/**
 * The built `lucent` admin CLI as a child process against a real nats-server (JetStream) and two real
 * `lucent-node` processes: version, nodes, ring, call, ask, emit, the dead-letter list and an error's exit.
 */
import { actorKey, createClusterView, PlacementType, placeActor } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeProcessCluster, startNodeProcessCluster } from '../../src/testing/node-process-cluster.js';
import { fixture } from './cli-fixtures.js';

let cluster: NodeProcessCluster;
/** Runs `lucent <args>` against the test cluster (bounded by a kill timeout). */
const lucent = (...args: string[]) => cluster.cli.run(...args);

beforeAll(async () => {
  cluster = await startNodeProcessCluster({
    cluster: 'admin-cli',
    nodes: ['n1', 'n2'],
    args: ['--threads', '1', '--functions', fixture('shard-functions.mjs'), '--actors', fixture('shard-actors.mjs')],
    nodeArgs: { n1: ['--tags', 'edge'] },
  });
}, 30_000);

afterAll(() => cluster?.close());

describe('lucent admin CLI', () => {
  it('prints its version and help with exit code 0', async () => {
    const version = await lucent('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await lucent('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes');
  });

  it('lists both nodes (JSON and table) and names the owner of a key as core placement does', async () => {
    const nodes = await lucent('nodes', '--json');
    expect(nodes.code).toBe(0);
    const rows = JSON.parse(nodes.stdout) as { id: string; tags: string[]; maxFunctions: number }[];
    expect(rows.map((row) => row.id)).toEqual(['n1', 'n2']);
    expect(rows[0]).toMatchObject({ id: 'n1', tags: ['edge'], maxFunctions: expect.any(Number) });
    const table = await lucent('nodes');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/n1.*edge/);
    expect(table.stdout).toContain('n2');

    const key = actorKey('counter', 'c1');
    const expected = placeActor(
      key,
      createClusterView(rows.map((row) => ({ id: row.id, tags: row.tags, load: LOAD }))),
    );
    expect(expected.type).toBe(PlacementType.Node);
    const ring = await lucent('ring', '--key', key, '--json');
    expect(ring.code).toBe(0);
    expect(JSON.parse(ring.stdout)).toEqual({
      key,
      owner: expected.type === PlacementType.Node ? expected.node : undefined,
      members: 2,
    });
  });

  it('calls a function, asks an actor and emits a durable event', async () => {
    const call = await lucent('call', 'add', '{"a":2,"b":3}', '--json', '--timeout-ms', '10000');
    expect(call).toMatchObject({ code: 0, stdout: '5\n' });
    const first = await lucent('ask', 'counter', 'cli-1', '{"type":"inc","by":2}', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ count: 2 });
    const second = await lucent('ask', 'counter', 'cli-1', '{"type":"inc"}', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ count: 3 });
    const emit = await lucent('emit', 'AdminCliTick', '{"n":1}');
    expect(emit.code).toBe(0);
    expect(emit.stdout.trim()).toMatch(/^\S{8,}$/);
    const dlq = await lucent('events', 'dlq', 'list', '--json');
    expect(dlq.code).toBe(0);
    expect(JSON.parse(dlq.stdout)).toEqual([]);
    const purge = await lucent('events', 'dlq', 'purge', '--json');
    expect(purge.code).toBe(0);
    expect(JSON.parse(purge.stdout)).toEqual({ purged: 0 });
  });

  it('exits 1 with the error code for an unknown function, 2 for bad JSON, 3 without a NATS server', async () => {
    const unknown = await lucent('call', 'noSuchFunction', '{}', '--timeout-ms', '5000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('LUCENT_UNKNOWN_FUNCTION');
    const bad = await lucent('call', 'add', '{not json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not valid JSON');
    const unreachable = await lucent('nodes', '--nats', 'nats://127.0.0.1:1');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('LUCENT_NODE_UNAVAILABLE');
  });
});

const LOAD = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };
