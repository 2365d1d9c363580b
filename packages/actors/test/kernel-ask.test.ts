import { ActorStoppedError, TimeoutError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKit, type TestKit } from '../src/testkit.js';
import type { DeadLetter } from '../src/types.js';

let kit: TestKit;
let letters: DeadLetter[];
afterEach(async () => {
  // Stop waits for the message being handled; the silent actors finish theirs after 10 s of simulated time.
  const done = kit.shutdown();
  await kit.advance(10_000);
  await done;
});

const silent = {
  receive: (_m: unknown, ctx: { clock: { setTimeout(cb: () => void, ms: number): unknown } }) =>
    new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 10_000)),
};

function setup(defaultAskTimeoutMs?: number): void {
  kit = createTestKit(defaultAskTimeoutMs === undefined ? {} : { defaultAskTimeoutMs });
  letters = [];
  kit.system.onDeadLetter((l) => letters.push(l));
}

/** Records how an ask settled (and how many times a settle was observed). */
function track(promise: Promise<unknown>): { state: string; value: unknown; settles: number } {
  const out = { state: 'pending', value: undefined as unknown, settles: 0 };
  promise.then(
    (v) => {
      out.state = 'resolved';
      out.value = v;
      out.settles++;
    },
    (e) => {
      out.state = 'rejected';
      out.value = e;
      out.settles++;
    },
  );
  return out;
}

/**
 * An actor whose reply to an ask is released by a clock timer armed `replyAtMs` from now, BEFORE the ask is
 * made: at equal times that timer fires before the ask's deadline timer.
 */
function gatedReplier(replyAtMs: number) {
  let release!: (value: string) => void;
  const gate = new Promise<string>((resolve) => {
    release = resolve;
  });
  kit.clock.setTimeout(() => release('reply'), replyAtMs);
  return kit.system.spawn<string>({ receive: () => gate }, { name: 'replier' });
}

/** An actor that replies `re:<message>` `replyAfterMs` after it starts handling the message. */
function delayedReplier(replyAfterMs: number) {
  return kit.system.spawn<string>(
    {
      receive(message, ctx) {
        return new Promise((resolve) => ctx.clock.setTimeout(() => resolve(`re:${message}`), replyAfterMs));
      },
    },
    { name: 'replier' },
  );
}

describe('ask deadlines', () => {
  it('rejects with TimeoutError exactly at the deadline, not a millisecond before', async () => {
    setup();
    const ref = kit.system.spawn(silent, { name: 'silent' });
    const ask = track(ref.ask('x', { timeoutMs: 250 }));
    await kit.advance(249);
    expect(ask.state).toBe('pending');
    await kit.advance(1);
    expect(ask.state).toBe('rejected');
    expect(TimeoutError.is(ask.value)).toBe(true);
    expect((ask.value as TimeoutError).details).toEqual({ target: '/user/silent', timeoutMs: 250 });
    expect(kit.system.deadlines.size).toBe(0);
  });

  it('uses the system default timeout when the ask sets none', async () => {
    setup(40);
    const ref = kit.system.spawn(silent);
    const ask = track(ref.ask('x'));
    await kit.advance(39);
    expect(ask.state).toBe('pending');
    await kit.advance(1);
    expect(TimeoutError.is(ask.value)).toBe(true);
  });

  it('expires asks in deadline order whatever order they were made in', async () => {
    setup();
    const ref = kit.system.spawn(silent);
    const asks = [300, 100, 200, 100].map((timeoutMs) => track(ref.ask(timeoutMs, { timeoutMs })));
    const states = () => asks.map((a) => a.state[0]).join('');
    await kit.advance(100);
    expect(states()).toBe('prpr');
    await kit.advance(100);
    expect(states()).toBe('prrr');
    await kit.advance(100);
    expect(states()).toBe('rrrr');
  });

  it('a reply that arrives before the deadline timer runs wins; it settles once', async () => {
    setup();
    const ref = gatedReplier(100);
    const ask = track(ref.ask('a', { timeoutMs: 100 }));
    // advance() runs microtasks between timers: the reply (its timer was armed first) settles the ask, then the
    // deadline timer, due at the same millisecond, finds it settled.
    await kit.advance(100);
    await kit.advance(1000);
    expect(ask).toEqual({ state: 'resolved', value: 'reply', settles: 1 });
    expect(letters).toEqual([]);
  });

  it('a reply at the deadline that loses the race is dropped as a late-reply dead letter; it settles once', async () => {
    setup();
    const ref = gatedReplier(100);
    const ask = track(ref.ask('a', { timeoutMs: 100 }));
    await kit.flush();
    // clock.advance() fires both timers before any microtask runs: the reply is released but still on its way
    // (a promise reaction) when the deadline rejects the ask.
    kit.clock.advance(100);
    await kit.flush();
    expect(ask.state).toBe('rejected');
    expect(TimeoutError.is(ask.value)).toBe(true);
    expect(ask.settles).toBe(1);
    expect(letters).toEqual([{ recipient: '/user/replier', message: 'reply', reason: 'late-reply' }]);
  });

  it('a reply after the deadline is a late-reply dead letter and the ask stays rejected', async () => {
    setup();
    const ref = delayedReplier(500);
    const ask = track(ref.ask('a', { timeoutMs: 100 }));
    await kit.advance(100);
    expect(TimeoutError.is(ask.value)).toBe(true);
    await kit.advance(400);
    expect(ask.settles).toBe(1);
    expect(letters.map((l) => l.reason)).toEqual(['late-reply']);
  });

  it('an ask queued behind others times out while queued; its message still runs later and the reply is dropped', async () => {
    setup();
    const handled: string[] = [];
    const ref = kit.system.spawn<string>({
      receive(m, ctx) {
        handled.push(m);
        return new Promise((resolve) => ctx.clock.setTimeout(() => resolve(m), 100));
      },
    });
    const first = track(ref.ask('first', { timeoutMs: 1000 }));
    const second = track(ref.ask('second', { timeoutMs: 50 }));
    await kit.advance(50);
    expect(second.state).toBe('rejected');
    await kit.advance(200);
    expect(first).toMatchObject({ state: 'resolved', value: 'first' });
    expect(handled).toEqual(['first', 'second']);
    expect(second.settles).toBe(1);
    expect(letters.map((l) => [l.message, l.reason])).toEqual([['second', 'late-reply']]);
  });
});

describe('ask and stop', () => {
  it('an ask being handled when the actor stops still gets its reply; a queued one rejects; each settles once', async () => {
    setup();
    const ref = delayedReplier(100);
    const running = track(ref.ask('running', { timeoutMs: 500 }));
    const queued = track(ref.ask('queued', { timeoutMs: 500 }));
    await kit.flush();
    const stopped = ref.stop();
    await kit.flush();
    expect(queued.state).toBe('rejected');
    expect(ActorStoppedError.is(queued.value)).toBe(true);
    await kit.advance(100);
    await stopped;
    expect(running).toEqual({ state: 'resolved', value: 're:running', settles: 1 });
    await kit.advance(1000); // past both deadlines: nothing settles again
    expect(running.settles + queued.settles).toBe(2);
    expect(kit.system.deadlines.size).toBe(0);
  });

  it('an ask to a stopped actor rejects at once with ActorStoppedError and is a dead letter', async () => {
    setup();
    const ref = kit.system.spawn({ receive: () => 1 }, { name: 'gone' });
    await ref.stop();
    const ask = track(ref.ask('x'));
    await kit.flush();
    expect(ActorStoppedError.is(ask.value)).toBe(true);
    expect((ask.value as ActorStoppedError).details.actor).toBe('/user/gone');
    expect(letters).toEqual([{ recipient: '/user/gone', message: 'x', reason: 'stopped' }]);
  });

  it('a timed-out ask to an actor stopped later is not rejected again', async () => {
    setup();
    const ref = kit.system.spawn(silent);
    ref.tell('block');
    const ask = track(ref.ask('x', { timeoutMs: 10 }));
    await kit.advance(10);
    void ref.stop();
    await kit.flush();
    expect(ask.settles).toBe(1);
    expect(TimeoutError.is(ask.value)).toBe(true);
  });
});
