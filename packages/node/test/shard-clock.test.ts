/**
 * One clock per node: `startShardNode({ clock })` hands it to the actor system, the extensions (`context.clock`),
 * membership and the transport. No function modules, in-memory bus, simulated clock: nothing sleeps.
 */
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultNodeConfig } from '../src/config/node-config.js';
import { type ComposedShard, startShardNode } from '../src/shard/start-shard-node.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';

const HEARTBEAT_MS = 100;
const started: ComposedShard[] = [];

afterEach(async () => {
  for (const shard of started.splice(0)) await shard.node.shutdown();
});

async function startOn(bus: InMemoryBus, clock: SimulatedClock, shard: string): Promise<ComposedShard> {
  const composed = await startShardNode({
    config: {
      ...defaultNodeConfig({ cpuCount: 1 }),
      shard,
      httpPort: 0,
      threads: 1,
      heartbeatIntervalMs: HEARTBEAT_MS,
      functions: [],
      actors: [],
    },
    bus,
    clock,
    httpHost: '127.0.0.1',
    processMetrics: false,
    logDestination: { write: () => {} },
  });
  started.push(composed);
  return composed;
}

/** Lets bus deliveries and promise callbacks run (event-loop turns); no clock time passes. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('ShardNode clock', () => {
  it('hands its clock to the context, the actor system and membership', async () => {
    const clock = new SimulatedClock();
    const { node, membership } = await startOn(new InMemoryBus(), clock, 'n1');
    expect(node.clock).toBe(clock);
    expect(node.context.clock).toBe(clock);
    expect(node.context.actorSystem.clock).toBe(clock);
    // Membership's incarnation defaults to the clock's wall time; its start-up grace runs on the clock.
    expect(membership.membership?.incarnation).toBe(clock.wallNow());
    const deadAfterMs = membership.membership!.deadAfterMs;
    expect(membership.isAlive('never-seen')).toBe(true); // the view may still be filling
    clock.advance(deadAfterMs);
    expect(membership.isAlive('never-seen')).toBe(false);
    expect(membership.isAlive('n1')).toBe(true);
  });

  it('declares a silent member dead only when the simulated clock passes deadAfterMs', async () => {
    const clock = new SimulatedClock();
    const bus = new InMemoryBus();
    const a = await startOn(bus, clock, 'a');
    // b runs on a clock nobody advances: after its start-up heartbeat it goes silent (no leave).
    await startOn(bus, new SimulatedClock(), 'b');
    await turns();
    expect(a.membership.membership?.members.map((m) => m.id)).toEqual(['a', 'b']);
    const deadAfterMs = a.membership.membership!.deadAfterMs;
    for (let t = HEARTBEAT_MS; t < deadAfterMs; t += HEARTBEAT_MS) {
      clock.advance(HEARTBEAT_MS);
      await turns();
    }
    expect(a.membership.membership?.members.map((m) => m.id)).toEqual(['a', 'b']);
    clock.advance(HEARTBEAT_MS);
    await turns();
    expect(a.membership.membership?.members.map((m) => m.id)).toEqual(['a']);
  });
});
