/**
 * Bounded function actor mailboxes (`mailbox-admission.ts`): past `maxMailboxSize` waiting messages an ask or
 * tell is refused at once with `OverloadedError`, never queued; what was accepted is all handled. Simulated clock.
 */
import { OverloadedError, SimulatedClock } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createFunctionActors } from '../src/function-actor/activator.js';
import { defineActor } from '../src/function-actor/define-actor.js';
import { BacklogTimer, MailboxAdmission, SERVICE_SAMPLE } from '../src/function-actor/mailbox-admission.js';
import { MemoryStateStore } from '../src/memory-state-store.js';
import { createTestKit, type TestKit } from '../src/testkit.js';
import { counter, counterMachine, rejectionCode } from './function-actor-fixtures.js';

let kit: TestKit | undefined;
afterEach(async () => {
  await kit?.shutdown();
  kit = undefined;
});

const small = defineActor({ type: 'small', machine: counterMachine, maxMailboxSize: 3 });

function directory(maxMailboxSize?: number) {
  kit = createTestKit();
  const refused: string[] = [];
  const actors = createFunctionActors({
    system: kit.system,
    store: new MemoryStateStore(),
    definitions: [counter, small],
    ...(maxMailboxSize === undefined ? {} : { maxMailboxSize }),
    onMailboxFull: (type, kind) => refused.push(`${type}:${kind}`),
  });
  return { kit, actors, refused };
}

describe('function actors: bounded mailboxes', () => {
  it('refuses asks and tells past the bound at once, and handles every accepted message', async () => {
    const { actors, kit, refused } = directory(5);
    await actors.ask('counter', 'c1', { type: 'inc' });
    actors.pause('counter', 'c1'); // a slow actor: nothing it holds is handled meanwhile
    // Five wait in the mailbox (none has been taken yet: the dispatcher runs after this synchronous burst).
    const accepted = Array.from({ length: 5 }, () =>
      actors.ask('counter', 'c1', { type: 'inc' }, { timeoutMs: 60_000 }),
    );
    const overAsk = actors.ask('counter', 'c1', { type: 'inc' }, { timeoutMs: 60_000 });
    let thrown: unknown;
    try {
      actors.tell('counter', 'c1', { type: 'inc' });
    } catch (error) {
      thrown = error;
    }
    expect(OverloadedError.is(thrown)).toBe(true);
    expect(refused).toEqual(['counter:ask', 'counter:tell']);
    // Refused before any time passed: no queueing behind the backlog.
    const refusal = await overAsk.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(OverloadedError.is(refusal)).toBe(true);
    expect((refusal as OverloadedError).details).toMatchObject({ target: 'counter/c1', retryAfterMs: 5 });

    await kit.advance(1_000);
    actors.resume('counter', 'c1');
    const counts = (await Promise.all(accepted)).map((context) => context.count);
    expect(counts).toEqual([2, 3, 4, 5, 6]);
    // Drained: the actor takes messages again.
    expect((await actors.ask('counter', 'c1', { type: 'inc' })).count).toBe(7);
  });

  it('a definition bounds its own mailbox below the directory default (1000 when unset)', async () => {
    const { actors, refused } = directory();
    await actors.ask('small', 's1', { type: 'inc' });
    await actors.ask('counter', 'c1', { type: 'inc' });
    actors.pause('small', 's1');
    actors.pause('counter', 'c1');
    for (let i = 0; i < 3; i++) actors.tell('small', 's1', { type: 'inc' });
    for (let i = 0; i < 1_000; i++) actors.tell('counter', 'c1', { type: 'inc' });
    expect(() => actors.tell('counter', 'c1', { type: 'inc' })).toThrow(/mailbox is full \(1000 of 1000/);
    expect(await rejectionCode(actors.ask('small', 's1', { type: 'inc' }))).toBe('LUCENT_OVERLOADED');
    expect(refused).toEqual(['counter:tell', 'small:ask']);
  });

  it('refuses a maxMailboxSize that is not an integer >= 1', () => {
    expect(() => defineActor({ type: 'bad', machine: counterMachine, maxMailboxSize: 0 })).toThrow(/maxMailboxSize/);
    kit = createTestKit();
    const system = kit.system;
    expect(() =>
      createFunctionActors({ system, store: new MemoryStateStore(), definitions: [counter], maxMailboxSize: 1.5 }),
    ).toThrow(/maxMailboxSize/);
  });
});

describe('mailbox admission: retry-after from the measured service time', () => {
  it('times runs of a backlog, reading the clock at its start, every SERVICE_SAMPLE messages and at its end', () => {
    const clock = new SimulatedClock();
    const reads = { count: 0 };
    const counted = {
      now: () => {
        reads.count++;
        return clock.now();
      },
    } as unknown as SimulatedClock;
    const admission = new MailboxAdmission('t');
    const timer = new BacklogTimer(counted, () => admission);
    const a = { definition: { type: 't' } };
    const b = { definition: { type: 't' } };
    timer.started(a, 0); // idle actor: nothing timed, no clock read
    expect(reads.count).toBe(0);
    timer.started(a, 2); // a backlog starts
    clock.advance(10);
    timer.started(a, 1);
    clock.advance(20);
    timer.started(a, 0); // its end: 2 messages in 30 ms
    expect(admission.serviceMs).toBe(15);
    expect(reads.count).toBe(2);
    // A long backlog: 100 messages of 2 ms, one clock read per SERVICE_SAMPLE of them.
    reads.count = 0;
    for (let waiting = 99; waiting >= 0; waiting--) {
      timer.started(a, waiting);
      clock.advance(2);
    }
    expect(reads.count).toBe(1 + Math.floor(99 / SERVICE_SAMPLE) + 1);
    expect(admission.serviceMs).toBeGreaterThan(2);
    expect(admission.serviceMs).toBeLessThan(15);
    // Another actor in between drops the run being timed: b's wait is not a's service time.
    const before = admission.serviceMs;
    timer.started(a, 3);
    clock.advance(1_000);
    timer.started(b, 0);
    timer.started(a, 0);
    expect(admission.serviceMs).toBe(before);
  });

  it('suggests waiting the backlog out: waiting × service time, 1 ms per message before any measure', () => {
    const admission = new MailboxAdmission('t');
    expect(admission.retryAfterMs(100)).toBe(100);
    admission.observe(2.5);
    expect(admission.retryAfterMs(100)).toBe(250);
    expect(admission.retryAfterMs(10_000_000)).toBe(60_000);
    const refusal = admission.refusal('x', 100, 100);
    expect(refusal.code).toBe('LUCENT_OVERLOADED');
    expect(refusal.details).toMatchObject({ target: 't/x', retryAfterMs: 250 });
  });
});
