// The actor-kernel example of the README, run as written (keep the two in sync).
import { TimeoutError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createActorSystem, createTestKit } from '../src/index.js';

describe('README: actor kernel example', () => {
  it('runs as documented', async () => {
    // --- README start ---
    type CounterMsg = { type: 'add'; by: number } | { type: 'get' };

    const system = createActorSystem({ name: 'shop' });
    const counter = system.spawn<CounterMsg>(
      () => {
        let total = 0; // a factory: a restart begins with fresh state
        return {
          receive(msg) {
            if (msg.type === 'add') {
              if (msg.by < 0) throw new RangeError('negative');
              total += msg.by;
            }
            return total; // the reply to an ask
          },
        };
      },
      {
        name: 'counter',
        mailbox: { kind: 'bounded', capacity: 10_000, overflow: 'reject' },
        supervision: { maxRestarts: 3, windowMs: 60_000, backoff: { minMs: 10, maxMs: 1_000, jitter: 0.2 } },
      },
    );
    counter.tell({ type: 'add', by: 2 });
    const total = await counter.ask<number>({ type: 'add', by: 3 }, { timeoutMs: 1_000 }); // 5
    await system.terminate();

    // In tests, time is simulated: timers fire when the test kit advances the clock.
    const kit = createTestKit();
    const probe = kit.createProbe<string>();
    kit.system.spawn<string>({
      preStart: (ctx) => ctx.timers.startSingle('remind', 'tick', 30_000),
      receive: (msg) => probe.ref.tell(`got ${msg}`),
    });
    const first = await probe.expectMessage(60_000); // 'got tick', after 30 s of simulated time
    await kit.shutdown();
    // --- README end ---

    expect(total).toBe(5);
    expect(first).toBe('got tick');
    expect(kit.clock.now()).toBe(30_000);
    const silent = createTestKit();
    const error = await silent
      .createProbe()
      .expectMessage(10)
      .catch((e: unknown) => e);
    expect(TimeoutError.is(error)).toBe(true);
    await silent.shutdown();
  });
});
