import { afterEach, describe, expect, it } from 'vitest';
import { createTestKit, type TestKit } from '../src/testkit.js';
import type { ActorContext, ActorRef, DeadLetter } from '../src/types.js';

let kit: TestKit;
afterEach(async () => {
  await kit.shutdown();
});

type Command =
  | { op: 'single' | 'periodic'; key: string; msg: string; ms: number }
  | { op: 'cancel'; key: string }
  | { op: 'active'; key: string }
  | { op: 'fail' };

/** An actor that records timer messages with the simulated time they arrived and obeys timer commands. */
function timerActor(log: string[], options: { supervision?: { decide: () => 'restart' | 'resume' } } = {}) {
  return kit.system.spawn<Command | string>(
    {
      receive(m, ctx: ActorContext<Command | string>) {
        if (typeof m === 'string') {
          log.push(`${m}@${ctx.clock.now()}`);
          return undefined;
        }
        switch (m.op) {
          case 'single':
            return ctx.timers.startSingle(m.key, m.msg, m.ms);
          case 'periodic':
            return ctx.timers.startPeriodic(m.key, m.msg, m.ms);
          case 'cancel':
            return ctx.timers.cancel(m.key);
          case 'active':
            return ctx.timers.isActive(m.key);
          case 'fail':
            throw new Error('fail');
        }
      },
    },
    options,
  );
}

async function send(ref: ActorRef<Command | string>, command: Command): Promise<unknown> {
  return ref.ask(command);
}

describe('timers', () => {
  it('a single timer fires once, at its exact time, and is then inactive', async () => {
    kit = createTestKit();
    const log: string[] = [];
    const ref = timerActor(log);
    await send(ref, { op: 'single', key: 'k', msg: 'once', ms: 100 });
    expect(await send(ref, { op: 'active', key: 'k' })).toBe(true);
    await kit.advance(99);
    expect(log).toEqual([]);
    await kit.advance(1);
    expect(log).toEqual(['once@100']);
    await kit.advance(1000);
    expect(log).toEqual(['once@100']);
    expect(await send(ref, { op: 'active', key: 'k' })).toBe(false);
  });

  it('a periodic timer fires every interval until cancelled', async () => {
    kit = createTestKit();
    const log: string[] = [];
    const ref = timerActor(log);
    await send(ref, { op: 'periodic', key: 'tick', msg: 't', ms: 30 });
    await kit.advance(100);
    expect(log).toEqual(['t@30', 't@60', 't@90']);
    await send(ref, { op: 'cancel', key: 'tick' });
    await kit.advance(100);
    expect(log).toHaveLength(3);
  });

  it('starting a key again replaces the earlier timer', async () => {
    kit = createTestKit();
    const log: string[] = [];
    const ref = timerActor(log);
    await send(ref, { op: 'single', key: 'k', msg: 'first', ms: 50 });
    await send(ref, { op: 'single', key: 'k', msg: 'second', ms: 80 });
    await kit.advance(200);
    expect(log).toEqual(['second@80']);
  });

  it('are cancelled when the actor stops', async () => {
    kit = createTestKit();
    const log: string[] = [];
    const ref = timerActor(log);
    await send(ref, { op: 'periodic', key: 'a', msg: 'a', ms: 10 });
    await send(ref, { op: 'single', key: 'b', msg: 'b', ms: 10 });
    const armed = kit.clock.pendingTimers;
    await ref.stop();
    expect(kit.clock.pendingTimers).toBe(armed - 2);
    await kit.advance(100);
    expect(log).toEqual([]);
  });

  it('are cancelled on restart, and the fresh instance starts its own', async () => {
    kit = createTestKit();
    const log: string[] = [];
    let instances = 0;
    const ref = kit.system.spawn<string>(() => {
      const instance = ++instances;
      return {
        preStart(ctx) {
          ctx.timers.startPeriodic('tick', `i${instance}`, 40);
        },
        receive(m, ctx) {
          if (m === 'fail') throw new Error('fail');
          log.push(`${m}@${ctx.clock.now()}`);
        },
      };
    });
    await kit.advance(50);
    ref.tell('fail'); // at t=50: instance 1's timer (next due at 80) must never fire
    await kit.advance(100);
    expect(instances).toBe(2);
    expect(log).toEqual(['i1@40', 'i2@90', 'i2@130']);
  });

  it('a timer message that a full bounded mailbox turns away is a dead letter', async () => {
    kit = createTestKit();
    const letters: DeadLetter[] = [];
    kit.system.onDeadLetter((l) => letters.push(l));
    const ref = kit.system.spawn<string>(
      {
        preStart(ctx) {
          ctx.timers.startSingle('t', 'timer', 10);
        },
        receive: (_m, ctx) => new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 100)),
      },
      { mailbox: { kind: 'bounded', capacity: 1, overflow: 'drop-newest' } },
    );
    ref.tell('busy');
    await kit.flush();
    ref.tell('fills the mailbox');
    await kit.advance(10);
    expect(letters.map((l) => [l.message, l.reason])).toEqual([['timer', 'dropped-newest']]);
    await kit.advance(200);
  });
});
