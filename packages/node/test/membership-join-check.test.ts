/**
 * The join check (issue 15): the pure decision (`joinConflict`), the modules a heartbeat carries, and shard
 * nodes on one in-memory bus refusing a duplicate id at start with a `ConfigError` that names the problem, and
 * accepting a node with other modules (issue 13: actor types are placed on their hosts only). Simulated clock: nothing sleeps. The same with real processes on NATS is in
 * test/integration/join-check.test.ts.
 */
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  createRegistry,
  defineFunction,
  EnvelopeCodec,
  placeActor,
  SimulatedClock,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultNodeConfig } from '../src/config/node-config.js';
import {
  decodeMembershipMessage,
  encodeMembershipMessage,
  MembershipMessageType,
} from '../src/membership/heartbeat.js';
import { joinConflict, modulesOf } from '../src/membership/join-check.js';
import { type ComposedShard, startShardNode } from '../src/shard/start-shard-node.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';

const counterActors = fileURLToPath(new URL('./fixtures/shard-actors.mjs', import.meta.url));
const started: ComposedShard[] = [];
afterEach(async () => {
  for (const shard of started.splice(0)) await shard.node.shutdown();
});

describe('joinConflict', () => {
  const self = { nodeId: 'b', modules: ['actor:cart', 'fn:quote@1'] };

  it('lets a node join an empty cluster or one with the same modules', () => {
    expect(joinConflict(self, [])).toBeUndefined();
    expect(joinConflict(self, [{ id: 'a', incarnation: 1, modules: ['actor:cart', 'fn:quote@1'] }])).toBeUndefined();
  });

  it('refuses a live process with the same id', () => {
    const error = joinConflict(self, [{ id: 'b', incarnation: 7, modules: self.modules }]);
    expect(ConfigError.is(error)).toBe(true);
    expect(error?.details.field).toBe('shard');
    expect(error?.message).toContain("another live process already runs as shard 'b'");
  });

  it('lets a node with other functions and actor types join (each type is placed on its hosts)', () => {
    expect(joinConflict(self, [{ id: 'a', incarnation: 1, modules: ['actor:order', 'fn:quote@2'] }])).toBeUndefined();
  });

  it('lists functions with their versions and actor types, sorted', () => {
    const registry = createRegistry([
      defineFunction({ name: 'quote', version: '2' }, () => 1),
      defineFunction({ name: 'add' }, () => 1),
    ]);
    expect(modulesOf(registry, ['cart'])).toEqual(['actor:cart', 'fn:add@1', 'fn:quote@2']);
  });
});

describe('heartbeat modules', () => {
  it('round-trips, and a heartbeat without them (an older peer) decodes as hosting nothing', () => {
    const codec = new EnvelopeCodec();
    const load = { cpu: 0, memory: 0, activeFunctions: 0, maxFunctions: 1, queueDepth: 0, maxQueue: 1 };
    const base = { type: MembershipMessageType.Heartbeat, node: 'a', incarnation: 1, tags: [], weight: 1, load };
    const withModules = decodeMembershipMessage(
      codec,
      encodeMembershipMessage(codec, { ...base, modules: ['fn:add@1'] }),
    );
    expect(withModules).toMatchObject({ modules: ['fn:add@1'] });
    expect(decodeMembershipMessage(codec, encodeMembershipMessage(codec, base))).toMatchObject({ modules: [] });
  });
});

describe('shard nodes on one bus', () => {
  async function start(bus: InMemoryBus, shard: string, actors: string[]): Promise<ComposedShard> {
    const composed = await startShardNode({
      config: { ...defaultNodeConfig({ cpuCount: 1 }), shard, httpPort: 0, threads: 1, functions: [], actors },
      bus,
      clock: new SimulatedClock(),
      httpHost: '127.0.0.1',
      processMetrics: false,
      logDestination: { write: () => {} },
    });
    started.push(composed);
    return composed;
  }

  it('refuse a duplicate shard id; accept a node without the cluster actor types, which hosts none of them', async () => {
    const bus = new InMemoryBus();
    const first = await start(bus, 'a', [counterActors]);
    const duplicate = await start(bus, 'a', [counterActors]).catch((e: unknown) => e);
    expect(ConfigError.is(duplicate)).toBe(true);
    expect((duplicate as ConfigError).details.field).toBe('shard');
    // The first node was not disturbed: it never heard another process heartbeat under its id.
    expect(first.membership.membership?.members.map((m) => m.id)).toEqual(['a']);
    const noActors = await start(bus, 'b', []);
    expect(noActors.node.isReady).toBe(true);
    // Every counter is placed on 'a', the only host of the type, whatever the full ring says.
    // The probe's answer reaches b a few turns of the event loop later (the bus delivers asynchronously).
    for (let turn = 0; turn < 20 && noActors.membership.membership?.members.length !== 2; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const view = noActors.membership.viewSource.current();
    expect(view?.members.map((m) => m.id)).toEqual(['a', 'b']);
    for (let i = 0; i < 50; i++) expect(placeActor(`counter/${i}`, view)).toEqual({ type: 'node', node: 'a' });
  });
});
