/**
 * The deployed registry (issue 13) end to end, with a real nats-server (JetStream) and real `lucent-node`
 * processes, driven through the `lucent` commands (`runAdmin`, in this process) and `connectCluster` clients
 * that follow the registry:
 *
 * deploy v1 and call it; deploying the same bytes again changes nothing; deploy v2 (a TypeScript entry) with
 * weight 10 while calls run: no call fails and about a tenth go to v2; disable v2 for tag eu: eu callers never
 * reach it; roll back: v2 gets nothing and its workers are retired (enabled again, it is loaded again); a node started after the deploys serves the current versions; a tampered
 * module (checksum mismatch) is refused and logged, and the nodes stay up; a racing registry write gets
 * LUCENT_CONFLICT.
 */
import { ConflictError, callEnvelope, EnvelopeCodec, EnvelopeKind, nodeSubject } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/client/cluster-client.js';
import { bundleModule } from '../../src/registry/module-bundle.js';
import { deployVersion, setWeight } from '../../src/registry/registry-edits.js';
import { moduleStoreName, RegistryStore, sha256Hex } from '../../src/registry/registry-store.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import { clusterNodeArgs, fixture, httpStatus, type LucentRun, runLucent } from './cli-fixtures.js';

const CLUSTER = 'reg';
const HEARTBEAT_MS = 200;
const processes = new NodeProcesses();
const codec = new EnvelopeCodec();
let server: NatsServerHandle;
let raw: NatsTransport;
let store: RegistryStore;
let anyCaller: ClusterClient;
let euCaller: ClusterClient;
const nodes = new Map<string, { cli: NodeProcess; httpPort: number }>();

async function startNode(id: string): Promise<void> {
  const options = { cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS };
  const cli = processes.start({
    args: clusterNodeArgs(id, options, ['--threads', '1', '--functions', fixture('shard-functions.mjs')]),
  });
  const ready = await cli.waitForLog('node.ready', 30_000);
  nodes.set(id, { cli, httpPort: ready.httpPort as number });
}

/** Runs `lucent <args>` against the test cluster; resolves with the exit code and what it printed. */
function lucent(...args: string[]): Promise<LucentRun> {
  return runLucent({ cluster: CLUSTER, natsUrl: server.url, heartbeatMs: HEARTBEAT_MS }, args);
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Versions served to `client` for `count` calls of `quote`, counted per version. */
async function versionsServed(client: ClusterClient, count: number): Promise<Map<string, number>> {
  const served = new Map<string, number>();
  for (let i = 0; i < count; i += 20) {
    const batch = Array.from({ length: Math.min(20, count - i) }, (_, j) =>
      client.client.call<{ version: string }>('quote', { n: i + j }),
    );
    for (const result of await Promise.all(batch)) served.set(result.version, (served.get(result.version) ?? 0) + 1);
  }
  return served;
}

/** True once every node of the test has loaded `ref` (as its heartbeats say, seen by `client`). */
function loadedEverywhere(client: ClusterClient, ref: string, count = nodes.size): boolean {
  return client.view.members.filter((m) => m.modules?.includes(`fn:${ref}`) === true).length >= count;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  await Promise.all(['n1', 'n2'].map((id) => startNode(id)));
  raw = await NatsTransport.connect({ servers: server.url, cluster: CLUSTER });
  store = await RegistryStore.open(raw.natsConnection, { cluster: CLUSTER });
  const connectOptions = { servers: server.url, cluster: CLUSTER, heartbeatIntervalMs: HEARTBEAT_MS };
  anyCaller = await connectCluster({ ...connectOptions, registry: {} });
  euCaller = await connectCluster({ ...connectOptions, registry: { tags: ['eu'] } });
  await anyCaller.waitForMembers(2, 20_000);
  await euCaller.waitForMembers(2, 20_000);
}, 60_000);

afterAll(async () => {
  await anyCaller?.close();
  await euCaller?.close();
  await raw?.close();
  await processes.killAll();
  await server?.stop();
});

describe('deploying functions', () => {
  it('deploys v1 and calls it; the same bytes again change nothing', async () => {
    const first = await lucent('deploy', fixture('registry/quote-v1.mjs'));
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('quote@1 deployed');
    await eventually('v1 loaded on both nodes', () => loadedEverywhere(anyCaller, 'quote@1'));
    expect(await anyCaller.client.call('quote', { n: 1 })).toEqual({ version: '1', n: 1 });

    const again = await lucent('deploy', fixture('registry/quote-v1.mjs'));
    expect(again.code).toBe(0);
    expect(again.out).toContain('quote@1 already deployed (unchanged)');
    const record = await store.read('quote');
    expect(record?.record.versions.map((v) => v.version)).toEqual(['1']);
  }, 60_000);

  it('hot-swaps in v2 (a TypeScript entry) at weight 10 under steady calls: none fails, about 10 % reach v2', async () => {
    const served = new Map<string, number>();
    let failures = 0;
    let stop = false;
    // Steady calls by 20 concurrent callers until told to stop.
    const callers = Array.from({ length: 20 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const result = await anyCaller.client.call<{ version: string }>('quote', { n: c * 1_000_000 + i });
          served.set(result.version, (served.get(result.version) ?? 0) + 1);
        } catch {
          failures++;
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const deployed = await lucent('deploy', fixture('registry/quote-v2.ts'), '--weight', '10');
    expect(deployed.code).toBe(0);
    expect(deployed.out).toContain('quote@2 deployed');
    await eventually('v2 loaded on both nodes', () => loadedEverywhere(anyCaller, 'quote@2'));
    // Calls from now on are split 100 : 10 between the versions.
    const before = new Map(served);
    await eventually(
      '2000 calls after the swap',
      () => {
        const since = [...served].reduce((sum, [v, n]) => sum + n - (before.get(v) ?? 0), 0);
        return since >= 2000;
      },
      60_000,
    );
    stop = true;
    await Promise.all(callers);
    expect(failures).toBe(0);
    const v1 = (served.get('1') ?? 0) - (before.get('1') ?? 0);
    const v2 = (served.get('2') ?? 0) - (before.get('2') ?? 0);
    const share = v2 / (v1 + v2);
    // 10 / 110 = 9.1 %; 2000 calls give a standard deviation of about 0.6 %.
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.14);
  }, 120_000);

  it('disables v2 for tag eu: eu callers never reach it, others still do', async () => {
    const result = await lucent('disable', 'quote@2', '--tags', 'eu');
    expect(result.code).toBe(0);
    await eventually(
      'eu disable seen by the eu caller',
      () => euCaller.registry?.record('quote')?.versions.some((v) => v.disabledTags.includes('eu')) === true,
    );
    expect((await versionsServed(euCaller, 300)).get('2')).toBeUndefined();
    await lucent('weight', 'quote@2', '100');
    await eventually('weight seen', () => anyCaller.registry?.record('quote')?.versions[1]?.weight === 100);
    expect((await versionsServed(anyCaller, 200)).get('2') ?? 0).toBeGreaterThan(40);
    // A caller that does not follow the registry (a bare name, straight to a node) is split by weight there.
    const served = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const envelope = callEnvelope('quote', { n: i }, { origin: 'test' });
      const answer = codec.decode(await raw.request(nodeSubject(CLUSTER, 'n1'), codec.encode(envelope), 10_000));
      served.add((answer.payload as { version: string }).version);
    }
    expect([...served].sort()).toEqual(['1', '2']);
  }, 60_000);

  it('rolls back: v2 gets nothing once the registry change propagated', async () => {
    const result = await lucent('rollback', 'quote');
    expect(result.code).toBe(0);
    await eventually('rollback seen', () => anyCaller.registry?.record('quote')?.versions[1]?.enabled === false);
    expect([...(await versionsServed(anyCaller, 300)).keys()]).toEqual(['1']);
    // v2 is disabled and not the rollback target: its workers are retired, and the nodes stop advertising it.
    await eventually('v2 retired', () => !anyCaller.view.members.some((m) => m.modules?.includes('fn:quote@2')));
    // Enabled again, it is loaded again and takes calls.
    expect((await lucent('enable', 'quote@2')).code).toBe(0);
    await eventually('v2 loaded again', () => loadedEverywhere(anyCaller, 'quote@2'));
    expect((await versionsServed(anyCaller, 200)).get('2') ?? 0).toBeGreaterThan(40);
    expect((await lucent('rollback', 'quote')).code).toBe(0);
    await eventually('rollback seen again', () => anyCaller.registry?.record('quote')?.versions[1]?.enabled === false);
    // Listed while calls run: calls/s and error rate come from the nodes' counters.
    let calling = true;
    const caller = (async () => {
      while (calling) await anyCaller.client.call('quote', { n: 1 });
    })();
    const listed = await lucent('functions', '--json', '--sample-ms', '1000');
    calling = false;
    await caller;
    type Row = { version: string; enabled: boolean; loadedOn: string[]; callsPerSecond: number; errorRate: number };
    const rows = JSON.parse(listed.out) as Row[];
    expect(rows.map((r) => [r.version, r.enabled])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    expect(rows[0]?.loadedOn).toEqual(['n1', 'n2']);
    expect(rows[0]?.callsPerSecond).toBeGreaterThan(10);
    expect(rows[0]?.errorRate).toBe(0);
    expect(rows[1]?.callsPerSecond).toBe(0);
    expect(rows[1]?.loadedOn).toEqual([]);
  }, 60_000);

  it('a node started after the deploys loads the registry before it reports ready', async () => {
    await startNode('n3');
    const ready = nodes.get('n3')?.cli.lines.find((line) => line.msg === 'node.ready');
    const applied = nodes.get('n3')?.cli.lines.findIndex((line) => line.msg === 'registry.applied') ?? -1;
    expect(applied).toBeGreaterThanOrEqual(0);
    expect(applied).toBeLessThan(nodes.get('n3')?.cli.lines.indexOf(ready ?? {}) ?? -1);
    // n3 loaded the current version (v2 is rolled back, so retired: not loaded) and serves it itself.
    await eventually(
      'n3 advertises quote@1',
      () => anyCaller.view.byId.get('n3')?.modules?.includes('fn:quote@1') === true,
    );
    expect(anyCaller.view.byId.get('n3')?.modules).not.toContain('fn:quote@2');
    const ask = async (ref: string) =>
      codec.decode(
        await raw.request(
          nodeSubject(CLUSTER, 'n3'),
          codec.encode(callEnvelope(ref, { n: 5 }, { origin: 't' })),
          10_000,
        ),
      );
    const v1 = await ask('quote@1');
    expect(v1.kind).toBe(EnvelopeKind.Reply);
    expect(v1.payload).toEqual({ version: '1', n: 5 });
    const v2 = await ask('quote@2');
    expect(v2.kind).toBe(EnvelopeKind.Error);
    expect((v2.payload as { code: string }).code).toBe('LUCENT_UNKNOWN_FUNCTION');
    expect((v2.payload as { origin: string }).origin).toBe('n3');
  }, 60_000);

  it('refuses a tampered module (checksum mismatch), logs it, and keeps serving', async () => {
    const bytes = await bundleModule(fixture('registry/quote-v3.mjs'));
    const checksum = sha256Hex(bytes);
    // The object named by v3's checksum holds other bytes.
    const objects = await raw.natsConnection.jetstream().views.os(moduleStoreName(CLUSTER));
    await objects.putBlob({ name: checksum }, new TextEncoder().encode('export const evil = 1;'));
    await store.modify('quote', (record) =>
      deployVersion('quote', record, {
        ...(record?.versions[0] as NonNullable<typeof record>['versions'][number]),
        version: '3',
        checksum,
        export: 'quote@3',
        enabled: true,
      }),
    );
    for (const [id, node] of nodes) {
      const refused = await node.cli.waitForLog('registry.module_refused', 20_000);
      expect(refused.checksum, id).toBe(checksum);
      expect(JSON.stringify(refused)).toContain('LUCENT_MODULE_CHECKSUM');
      expect(await httpStatus(node.httpPort, '/readyz')).toBe(200);
    }
    // v3 is never routable (no node loaded it); calls keep going to v1.
    expect([...(await versionsServed(anyCaller, 100)).keys()]).toEqual(['1']);
  }, 60_000);

  it('gives the slower of two racing registry writes a conflict', async () => {
    const stale = await store.read('quote');
    expect(stale).not.toBeNull();
    await store.modify('quote', (record) => setWeight(record!, '1', 90));
    const racing = setWeight(stale!.record, '1', 80).record;
    const error = await store.write(racing, stale!.revision).catch((e: unknown) => e);
    expect(ConflictError.is(error)).toBe(true);
    expect((await store.read('quote'))?.record.versions[0]?.weight).toBe(90);
  }, 30_000);

  it('deploys a module under another --name and --version', async () => {
    const result = await lucent('deploy', fixture('registry/quote-v1.mjs'), '--name', 'price', '--version', '7');
    expect(result.err).toBe('');
    expect(result.out).toContain('price@7 deployed');
    await eventually('price@7 loaded', () => loadedEverywhere(anyCaller, 'price@7'));
    expect(await anyCaller.client.call('price', { n: 2 })).toEqual({ version: '1', n: 2 });
    expect(await anyCaller.client.call('price@7', { n: 3 })).toEqual({ version: '1', n: 3 });
  }, 60_000);
});
