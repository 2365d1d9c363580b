import { ActorStoppedError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestKit, type TestKit } from '../src/testkit.js';
import type { ActorRef, Behavior, ChildTerminated, Directive, SupervisionOptions } from '../src/types.js';

let kit: TestKit;
let errors: [string, string][];
afterEach(async () => {
  await kit.shutdown();
});

function setup(): void {
  errors = [];
  kit = createTestKit({ onError: (_e, path, phase) => errors.push([path, phase]) });
}

/** A counter whose state lives in the instance; 'boom' throws, 'get' returns the count. */
function counter(starts: { n: number }): () => Behavior<string> {
  return () => {
    starts.n++;
    let count = 0;
    return {
      receive(m) {
        if (m === 'boom') throw new Error('boom');
        if (m === 'get') return count;
        count++;
        return count;
      },
    };
  };
}

describe('supervision in the cell', () => {
  it('resume keeps the state; restart (with a factory) resets it', async () => {
    setup();
    const starts = { n: 0 };
    const resumed = kit.system.spawn(counter(starts), { supervision: { decide: () => 'resume' } });
    const restarted = kit.system.spawn(counter(starts), { supervision: { decide: () => 'restart' } });
    for (const ref of [resumed, restarted]) {
      ref.tell('inc');
      ref.tell('inc');
      ref.tell('boom');
      ref.tell('inc');
    }
    expect(await resumed.ask('get')).toBe(3);
    expect(await restarted.ask('get')).toBe(1);
    expect(starts.n).toBe(3);
  });

  it('restarts after exact exponential backoff delays; messages wait in the mailbox meanwhile', async () => {
    setup();
    const starts: number[] = [];
    const handled: string[] = [];
    const ref = kit.system.spawn<string>(
      () => ({
        preStart: (ctx) => void starts.push(ctx.clock.now()),
        receive(m) {
          if (m.startsWith('boom')) throw new Error(m);
          handled.push(m);
        },
      }),
      { supervision: { backoff: { minMs: 100, maxMs: 400, jitter: 0 }, maxRestarts: 10, windowMs: 60_000 } },
    );
    expect(starts).toEqual([0]);
    // Fail at t=0, 100, 300, 700 and 1100: restarts are due 100, 200, 400, 400 and 400 ms after each failure.
    const failuresAt = [0, 100, 300, 700, 1100];
    const delays = [100, 200, 400, 400, 400];
    for (let i = 0; i < failuresAt.length; i++) {
      ref.tell(`boom${i}`);
      ref.tell(`after${i}`);
      await kit.flush();
      expect(ref.mailboxSize).toBe(1); // `after` waits while the restart is pending
      await kit.advance(delays[i]! - 1);
      expect(starts).toHaveLength(i + 1);
      await kit.advance(1);
      expect(starts.at(-1)).toBe(failuresAt[i]! + delays[i]!);
      expect(handled.at(-1)).toBe(`after${i}`);
    }
    expect(handled).toEqual(['after0', 'after1', 'after2', 'after3', 'after4']);
  });

  it('past the restart budget the actor stops, its queue is dead-lettered and the parent is told', async () => {
    setup();
    const terminated: ChildTerminated[] = [];
    let child!: ActorRef<string>;
    const starts = { n: 0 };
    kit.system.spawn<never>({
      preStart(ctx) {
        child = ctx.spawn(counter(starts), { name: 'flaky', supervision: { maxRestarts: 2, windowMs: 1000 } });
      },
      receive: () => undefined,
      childTerminated: (event) => void terminated.push(event),
    });
    child.tell('boom');
    child.tell('boom');
    child.tell('boom'); // third failure within the window: budget of 2 spent
    const queued = child.ask('get');
    await expect(queued).rejects.toSatisfy(ActorStoppedError.is);
    await kit.flush();
    expect(starts.n).toBe(3);
    expect(child.isStopped).toBe(true);
    expect(terminated).toHaveLength(1);
    expect(terminated[0]).toMatchObject({ type: 'child.terminated', child, reason: 'failed' });
    expect((terminated[0]!.error as Error).message).toBe('boom');
  });

  it('a stop directive stops at once and reports reason failed', async () => {
    setup();
    const terminated: ChildTerminated[] = [];
    let child!: ActorRef<string>;
    kit.system.spawn<never>({
      preStart(ctx) {
        child = ctx.spawn(counter({ n: 0 }), { supervision: { decide: () => 'stop' } });
      },
      receive: () => undefined,
      childTerminated: (event) => void terminated.push(event),
    });
    child.tell('boom');
    await kit.flush();
    expect(terminated.map((t) => t.reason)).toEqual(['failed']);
  });

  it('escalate hands the failure to the parent, whose own supervision decides (restart: children stop too)', async () => {
    setup();
    const parentStarts: number[] = [];
    const decided: unknown[] = [];
    const children: ActorRef<string>[] = [];
    const parentSupervision: SupervisionOptions = {
      decide: (error): Directive => {
        decided.push(error);
        return 'restart';
      },
    };
    kit.system.spawn<never>(
      () => ({
        preStart(ctx) {
          parentStarts.push(parentStarts.length);
          children.push(ctx.spawn(counter({ n: 0 }), { name: 'kid', supervision: { decide: () => 'escalate' } }));
        },
        receive: () => undefined,
      }),
      { name: 'parent', supervision: parentSupervision },
    );
    children[0]!.tell('boom');
    await kit.flush();
    expect(decided.map((e) => (e as Error).message)).toEqual(['boom']);
    expect(parentStarts).toEqual([0, 1]);
    expect(children[0]!.isStopped).toBe(true);
    expect(children[1]!.isStopped).toBe(false);
    expect(await children[1]!.ask('inc')).toBe(1);
    expect(errors).toContainEqual(['/user/parent/kid', 'receive']);
    expect(errors).toContainEqual(['/user/parent', 'escalation']);
  });

  it('when the parent resumes an escalated failure the child carries on with its state', async () => {
    setup();
    let child!: ActorRef<string>;
    kit.system.spawn<never>(
      {
        preStart(ctx) {
          child = ctx.spawn(counter({ n: 0 }), { supervision: { decide: () => 'escalate' } });
        },
        receive: () => undefined,
      },
      { supervision: { decide: () => 'resume' } },
    );
    child.tell('inc');
    child.tell('boom');
    child.tell('inc');
    expect(await child.ask('get')).toBe(2);
  });

  it('a top-level actor that escalates is stopped and reported', async () => {
    setup();
    const ref = kit.system.spawn(counter({ n: 0 }), { name: 'top', supervision: { decide: () => 'escalate' } });
    ref.tell('boom');
    await kit.flush();
    expect(ref.isStopped).toBe(true);
    expect(errors).toEqual([
      ['/user/top', 'receive'],
      ['/user/top', 'escalation'],
    ]);
  });

  it('preStart failures go to supervision; postStop failures are reported; neither crashes', async () => {
    setup();
    let attempts = 0;
    const ref = kit.system.spawn<string>(
      () => ({
        async preStart() {
          attempts++;
          if (attempts < 3) throw new Error('not yet');
        },
        receive: () => 'ok',
        postStop() {
          throw new Error('postStop');
        },
      }),
      { name: 'p', supervision: { backoff: { minMs: 10, maxMs: 10, jitter: 0 } } },
    );
    await kit.advance(100);
    expect(attempts).toBe(3);
    expect(await ref.ask('x')).toBe('ok');
    await ref.stop();
    expect(errors.filter(([, phase]) => phase === 'preStart')).toHaveLength(2);
    // The instances whose preStart failed were retired too: postStop ran for them and for the last one.
    expect(errors.filter(([, phase]) => phase === 'postStop')).toHaveLength(3);
  });

  it('no failure path leaves an unhandled rejection or an uncaught exception', async () => {
    setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const onUncaught = (error: unknown) => unhandled.push(error);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
    try {
      const behaviors: Behavior<string>[] = [
        { receive: () => Promise.reject(new Error('async receive')) },
        {
          receive() {
            throw new Error('sync receive');
          },
        },
        { preStart: () => Promise.reject(new Error('async preStart')), receive: () => 1 },
        {
          preStart() {
            throw new Error('sync preStart');
          },
          receive: () => 1,
        },
        {
          receive: () => ({
            // biome-ignore lint/suspicious/noThenProperty: the point is a deliberately broken thenable
            then() {
              throw new Error('a thenable whose then throws');
            },
          }),
        },
        { receive: () => 1, postStop: () => Promise.reject(new Error('async postStop')) },
        {
          receive: () => 1,
          postStop() {
            throw new Error('sync postStop');
          },
        },
      ];
      for (const directive of ['resume', 'restart', 'stop', 'escalate'] as const) {
        for (const behavior of behaviors) {
          const ref = kit.system.spawn(behavior, { supervision: { decide: () => directive, maxRestarts: 2 } });
          ref.tell('x');
          ref.tell('y');
        }
      }
      await kit.advance(1000);
      await kit.system.terminate();
      await kit.flush(); // Node reports unhandled rejections once the microtask queue has drained
      await kit.flush();
      expect(unhandled).toEqual([]);
      expect(errors.length).toBeGreaterThan(20);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUncaught);
    }
  });
});
