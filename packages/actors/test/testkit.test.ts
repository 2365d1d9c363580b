import { TimeoutError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKit, type TestKit } from '../src/testkit.js';

let kit: TestKit;
afterEach(async () => {
  await kit.shutdown();
});

describe('test kit', () => {
  it('a probe records messages in order and expectMessage returns them one by one', async () => {
    kit = createTestKit();
    const probe = kit.createProbe<number>('p');
    expect(probe.ref.path).toBe('/user/p');
    probe.ref.tell(1);
    probe.ref.tell(2);
    expect(await probe.expectMessage()).toBe(1);
    expect(await probe.expectMessage()).toBe(2);
    expect(probe.receivedMessages).toEqual([1, 2]);
    expect(kit.clock.now()).toBe(0); // the messages were there: no time had to pass
  });

  it('expectMessage advances simulated time until a timer delivers, and no further', async () => {
    kit = createTestKit();
    const probe = kit.createProbe<string>();
    kit.system.spawn<string>({
      preStart: (ctx) => ctx.timers.startSingle('t', 'go', 70),
      receive: () => probe.ref.tell('hello'),
    });
    expect(await probe.expectMessage(100)).toBe('hello');
    expect(kit.clock.now()).toBe(70);
  });

  it('expectMessage rejects with TimeoutError after exactly timeoutMs of simulated time', async () => {
    kit = createTestKit({ startMs: 1000, wallStartMs: 1_000_000 });
    const probe = kit.createProbe();
    const error = await probe.expectMessage(250).catch((e: unknown) => e);
    expect(TimeoutError.is(error)).toBe(true);
    expect(kit.clock.now()).toBe(1250);
    expect(kit.clock.wallNow()).toBe(1_000_250);
  });

  it('expectNoMessage passes when nothing arrives and fails with ERR_ASSERTION when something does', async () => {
    kit = createTestKit();
    const probe = kit.createProbe<string>();
    kit.system.spawn<string>({
      preStart: (ctx) => ctx.timers.startSingle('t', 'go', 150),
      receive: () => probe.ref.tell('late'),
    });
    await probe.expectNoMessage(100);
    await expect(probe.expectNoMessage(100)).rejects.toMatchObject({ code: 'ERR_ASSERTION' });
  });

  it('advance runs microtasks between timer firings, so chains of timers and replies unfold in order', async () => {
    kit = createTestKit();
    const probe = kit.createProbe<string>();
    // Each tick asks a helper (a microtask hop), then re-arms a single timer: a chain only stepping can follow.
    const helper = kit.system.spawn<number>({ receive: (n) => n * 2 });
    kit.system.spawn<number>({
      preStart: (ctx) => ctx.timers.startSingle('t', 1, 10),
      async receive(n, ctx) {
        const doubled = await helper.ask<number>(n);
        probe.ref.tell(`${n}->${doubled}@${ctx.clock.now()}`);
        if (n < 4) ctx.timers.startSingle('t', n + 1, 10);
      },
    });
    await kit.advance(100);
    expect(probe.receivedMessages).toEqual(['1->2@10', '2->4@20', '3->6@30', '4->8@40']);
    expect(kit.clock.now()).toBe(100);
  });
});
