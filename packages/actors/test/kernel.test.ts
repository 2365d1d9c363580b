import { ActorStoppedError, ConfigError, MailboxFullError, ShuttingDownError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKit, type TestKit } from '../src/testkit.js';
import type { ActorRef, Behavior, ChildTerminated, DeadLetter } from '../src/types.js';

/** A promise with its resolve exposed, to hold an async receive open. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

let kit: TestKit;
afterEach(async () => {
  await kit?.shutdown();
});

function setup(): { kit: TestKit; letters: DeadLetter[] } {
  kit = createTestKit();
  const letters: DeadLetter[] = [];
  kit.system.onDeadLetter((l) => letters.push(l));
  return { kit, letters };
}

describe('tell and ask', () => {
  it('delivers tells in order and answers an ask with what receive returns (sync or async)', async () => {
    setup();
    const seen: number[] = [];
    const ref = kit.system.spawn<number>({
      receive(n) {
        seen.push(n);
        return n % 2 === 0 ? n * 10 : Promise.resolve(n * 100);
      },
    });
    for (let i = 0; i < 5; i++) ref.tell(i);
    expect(ref.mailboxSize).toBe(5);
    expect(await ref.ask(6)).toBe(60);
    expect(await ref.ask(7)).toBe(700);
    expect(seen).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(ref.mailboxSize).toBe(0);
  });

  it('runs one message at a time even when receive is async', async () => {
    setup();
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    const ref = kit.system.spawn<number>({
      async receive(n) {
        active++;
        maxActive = Math.max(maxActive, active);
        order.push(`start ${n}`);
        await null;
        await null;
        order.push(`end ${n}`);
        active--;
      },
    });
    await Promise.all([ref.ask(1), ref.ask(2), ref.ask(3)]);
    expect(maxActive).toBe(1);
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('keeps each sender in order with many senders interleaving, and loses nothing', async () => {
    setup();
    const SENDERS = 20;
    const EACH = 500;
    const got: [number, number][] = [];
    const sink = kit.system.spawn<[number, number]>({ receive: (m) => void got.push(m) });
    // Each sender sends in chunks of varying size and yields between chunks, so the streams interleave.
    const senders = Array.from({ length: SENDERS }, (_, s) =>
      kit.system.spawn<'go'>({
        async receive() {
          for (let i = 0; i < EACH; ) {
            const chunk = 1 + ((s * 7 + i) % 13);
            for (let k = 0; k < chunk && i < EACH; k++, i++) sink.tell([s, i]);
            await null;
          }
        },
      }),
    );
    await Promise.all(senders.map((ref) => ref.ask('go')));
    await kit.flush();
    expect(got).toHaveLength(SENDERS * EACH);
    const next = new Array<number>(SENDERS).fill(0);
    let switches = 0;
    let outOfOrder = 0;
    for (let i = 0; i < got.length; i++) {
      const [s, seq] = got[i]!;
      if (seq !== next[s]) outOfOrder++;
      next[s] = seq + 1;
      if (i > 0 && got[i - 1]![0] !== s) switches++;
    }
    expect(outOfOrder).toBe(0);
    expect(next).toEqual(new Array<number>(SENDERS).fill(EACH));
    expect(switches).toBeGreaterThan(SENDERS); // the streams really interleaved
  });

  it('rejects the ask with the error receive threw (sync or async)', async () => {
    setup();
    const ref = kit.system.spawn<string>(
      {
        receive(m) {
          if (m === 'sync') throw new RangeError('sync');
          return Promise.reject(new TypeError('async'));
        },
      },
      { supervision: { decide: () => 'resume' } },
    );
    await expect(ref.ask('sync')).rejects.toBeInstanceOf(RangeError);
    await expect(ref.ask('async')).rejects.toBeInstanceOf(TypeError);
  });

  it('rejects an ask with a non-positive timeout with ConfigError', async () => {
    setup();
    const ref = kit.system.spawn({ receive: () => 1 });
    await expect(ref.ask('x', { timeoutMs: 0 })).rejects.toSatisfy(ConfigError.is);
  });
});

describe('hierarchy', () => {
  it('gives children unique paths under their parent and refuses a taken name', async () => {
    setup();
    const children: ActorRef[] = [];
    const parent = kit.system.spawn<string>(
      {
        receive(name, ctx) {
          const child = ctx.spawn({ receive: () => undefined }, name === '' ? undefined : { name });
          children.push(child);
          return child.path;
        },
      },
      { name: 'parent' },
    );
    expect(await parent.ask('a')).toBe('/user/parent/a');
    await expect(parent.ask('a')).rejects.toSatisfy(ConfigError.is);
    await expect(parent.ask('x/y')).rejects.toSatisfy(ConfigError.is);
    const generated = [await parent.ask(''), await parent.ask('')];
    expect(new Set(generated).size).toBe(2);
    expect(() => kit.system.spawn({ receive: () => 1 }, { name: 'parent' })).toThrow(
      expect.objectContaining({ code: ConfigError.code }),
    );
    // The name is free again once its actor has stopped.
    await children[0]!.stop();
    expect(await parent.ask('a')).toBe('/user/parent/a');
  });

  it('tells the parent (childTerminated) when a child stops, in order with its messages', async () => {
    setup();
    const events: (string | ChildTerminated)[] = [];
    let child!: ActorRef;
    const parent = kit.system.spawn<string>({
      preStart(ctx) {
        child = ctx.spawn({ receive: () => undefined }, { name: 'kid' });
      },
      receive(m) {
        events.push(m);
      },
      childTerminated(event) {
        events.push(event);
      },
    });
    parent.tell('before');
    await kit.flush();
    await child.stop();
    parent.tell('after');
    await kit.flush();
    expect(events).toEqual(['before', { type: 'child.terminated', child, reason: 'stopped' }, 'after']);
  });
});

describe('stop', () => {
  it('lets the current message finish, dead-letters the rest and rejects their asks with ActorStoppedError', async () => {
    const { letters } = setup();
    const gate = deferred();
    const handled: string[] = [];
    const ref = kit.system.spawn<string>(
      {
        async receive(m) {
          if (m === 'slow') await gate.promise;
          handled.push(m);
          return `done ${m}`;
        },
      },
      { name: 'a' },
    );
    const slow = ref.ask('slow');
    await kit.flush(); // 'slow' is now being handled
    ref.tell('queued-tell');
    const queuedAsk = ref.ask('queued-ask');
    const stopped = ref.stop();
    expect(ref.isStopped).toBe(true);
    ref.tell('after-stop');
    await expect(queuedAsk).rejects.toSatisfy(ActorStoppedError.is);
    gate.resolve();
    expect(await slow).toBe('done slow');
    await stopped;
    expect(handled).toEqual(['slow']);
    expect(letters.map((l) => [l.message, l.reason, l.recipient])).toEqual([
      ['queued-tell', 'stopped', '/user/a'],
      ['queued-ask', 'stopped', '/user/a'],
      ['after-stop', 'stopped', '/user/a'],
    ]);
    await expect(ref.ask('later')).rejects.toSatisfy(ActorStoppedError.is);
    expect(kit.system.topLevelCount).toBe(0);
  });

  it('stops children (and their children) before the parent postStop; stop is idempotent', async () => {
    setup();
    const order: string[] = [];
    const node = (name: string, depth: number): Behavior<string> => ({
      preStart(ctx) {
        if (depth > 0) {
          ctx.spawn(node(`${name}.1`, depth - 1), { name: 'c1' });
          ctx.spawn(node(`${name}.2`, depth - 1), { name: 'c2' });
        }
      },
      receive: () => undefined,
      async postStop() {
        await null;
        order.push(name);
      },
    });
    const root = kit.system.spawn(node('r', 2));
    const first = root.stop();
    const second = root.stop();
    await Promise.all([first, second]);
    expect(order).toHaveLength(7);
    const at = (n: string) => order.indexOf(n);
    for (const [parent, kids] of [
      ['r', ['r.1', 'r.2']],
      ['r.1', ['r.1.1', 'r.1.2']],
      ['r.2', ['r.2.1', 'r.2.2']],
    ] as const) {
      for (const k of kids) expect(at(k)).toBeLessThan(at(parent));
    }
    expect(order.at(-1)).toBe('r');
  });

  it('ctx.stop() inside receive stops after that message', async () => {
    const { letters } = setup();
    const seen: number[] = [];
    const ref = kit.system.spawn<number>({
      receive(n, ctx) {
        seen.push(n);
        if (n === 2) ctx.stop();
      },
    });
    for (let i = 1; i <= 4; i++) ref.tell(i);
    await kit.flush();
    expect(ref.isStopped).toBe(true);
    expect(seen).toEqual([1, 2]);
    expect(letters.map((l) => l.message)).toEqual([3, 4]);
  });

  it('terminate stops every actor; spawning afterwards throws ShuttingDownError', async () => {
    setup();
    const refs = Array.from({ length: 5 }, () => kit.system.spawn({ receive: () => 1 }));
    await kit.system.terminate();
    expect(refs.every((r) => r.isStopped)).toBe(true);
    expect(() => kit.system.spawn({ receive: () => 1 })).toThrow(
      expect.objectContaining({ code: ShuttingDownError.code }),
    );
  });
});

describe('bounded mailboxes on an actor', () => {
  async function busyActor(overflow: 'reject' | 'drop-newest' | 'drop-oldest') {
    const gate = deferred();
    const handled: string[] = [];
    const ref = kit.system.spawn<string>(
      {
        async receive(m) {
          if (m === 'block') await gate.promise;
          handled.push(m);
          return m;
        },
      },
      { name: overflow, mailbox: { kind: 'bounded', capacity: 2, overflow } },
    );
    ref.tell('block');
    await kit.flush();
    return { ref, gate, handled };
  }

  it('reject: a tell past capacity is a dead letter, an ask rejects with MailboxFullError', async () => {
    const { letters } = setup();
    const { ref, gate, handled } = await busyActor('reject');
    ref.tell('a');
    ref.tell('b');
    expect(ref.mailboxSize).toBe(2);
    ref.tell('c');
    const error = await ref.ask('d').catch((e: unknown) => e);
    expect(MailboxFullError.is(error)).toBe(true);
    expect((error as MailboxFullError).details).toEqual({ actor: '/user/reject', capacity: 2 });
    gate.resolve();
    await kit.flush();
    expect(handled).toEqual(['block', 'a', 'b']);
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      ['c', 'mailbox-full'],
      ['d', 'mailbox-full'],
    ]);
  });

  it('drop-newest keeps the oldest; drop-oldest keeps the newest and fails the evicted ask', async () => {
    const { letters } = setup();
    const newest = await busyActor('drop-newest');
    newest.ref.tell('a');
    newest.ref.tell('b');
    newest.ref.tell('c');
    const oldest = await busyActor('drop-oldest');
    const evicted = oldest.ref.ask('a');
    oldest.ref.tell('b');
    oldest.ref.tell('c');
    await expect(evicted).rejects.toSatisfy(MailboxFullError.is);
    newest.gate.resolve();
    oldest.gate.resolve();
    await kit.flush();
    expect(newest.handled).toEqual(['block', 'a', 'b']);
    expect(oldest.handled).toEqual(['block', 'b', 'c']);
    expect(letters.map((l) => [l.message, l.reason])).toEqual([
      ['c', 'dropped-newest'],
      ['a', 'dropped-oldest'],
    ]);
  });
});
