// A malformed message (no object, no string `type`, a forged xstate event) is refused with InvalidMessageError
// before it reaches the actor: the actor stays Running and keeps its unsaved state (issue 15).
import { InvalidMessageError } from '@lucent/core/internal';
import { expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import {
  actorMessageProblem,
  createActorSystem,
  createFunctionActors,
  defineActor,
  MemoryStateStore,
  SimulatedClock,
} from '../src/internal.js';

const machine = setup({ types: { context: {} as { count: number }, events: {} as { type: 'inc' } } }).createMachine({
  context: { count: 0 },
  on: { inc: { actions: assign({ count: ({ context }) => context.count + 1 }) } },
});
// Saved only on stop: whatever the actor counted so far is unsaved state a restart would lose.
const counter = defineActor({ type: 'counter', machine });

it('refuses malformed messages with InvalidMessageError and leaves the actor running with its state', async () => {
  const system = createActorSystem({ name: 'message-check', clock: new SimulatedClock() });
  const actors = createFunctionActors({ system, store: new MemoryStateStore(), definitions: [counter] });
  actors.tell('counter', 'c-1', { type: 'inc' });
  expect((await actors.ask('counter', 'c-1', { type: 'inc' })).count).toBe(2);
  const bad: unknown[] = [{ nope: 1 }, null, undefined, 'inc', 7, [{ type: 'inc' }], { type: '' }, { type: 3 }];
  bad.push({ type: 'xstate.stop' });
  for (const event of bad) {
    const error = await actors.ask('counter', 'c-1', event as never).catch((e: unknown) => e);
    expect(InvalidMessageError.is(error)).toBe(true);
    expect((error as InvalidMessageError).details.actor).toBe('counter/c-1');
    expect(() => actors.tell('counter', 'c-1', event as never)).toThrow(
      expect.objectContaining({ code: 'LUCENT_INVALID_MESSAGE' }),
    );
  }
  expect(actors.status('counter', 'c-1')).toBe('running');
  expect((await actors.ask('counter', 'c-1', { type: 'inc' })).count).toBe(3);
  // An unknown type is still reported as such, whatever the message.
  await expect(actors.ask('ghost' as never, 'g', { nope: 1 } as never)).rejects.toMatchObject({
    code: 'LUCENT_UNKNOWN_ACTOR_TYPE',
  });
  await system.terminate();
});

it('actorMessageProblem accepts any object with a non-empty string type', () => {
  expect(actorMessageProblem({ type: 'inc', by: 2 })).toBeUndefined();
  expect(actorMessageProblem({ nope: 1 })).toContain("'type'");
});
