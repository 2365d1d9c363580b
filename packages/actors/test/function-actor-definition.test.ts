import { ConfigError } from '@lucent/core/internal';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import {
  type ActorEventOf,
  type ActorReplyOf,
  defineActor,
  isActorDefinition,
  type LucentReply,
} from '../src/function-actor/define-actor.js';
import { type LifecycleStatus, nextLifecycleStatus } from '../src/function-actor/lifecycle.js';

type CounterEvent = { type: 'inc'; by: number } | { type: 'reset' };
const counter = setup({ types: { context: {} as { count: number }, events: {} as CounterEvent } }).createMachine({
  context: { count: 0 },
  on: {
    inc: { actions: assign({ count: ({ context, event }) => context.count + event.by }) },
    reset: { actions: assign({ count: 0 }) },
  },
});

const account = setup({
  types: {
    context: {} as { balance: number },
    events: {} as { type: 'deposit'; amount: number },
    emitted: {} as LucentReply<{ balance: number }>,
  },
}).createMachine({
  context: { balance: 0 },
  on: {
    deposit: {
      actions: [
        assign({ balance: ({ context, event }) => context.balance + event.amount }),
        emit(({ context }) => ({ type: 'lucent.reply' as const, value: { balance: context.balance } })),
      ],
    },
  },
});

function configCode(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('defineActor', () => {
  it('returns a frozen, branded definition with defaults', () => {
    const def = defineActor({ type: 'counter', machine: counter });
    expect(isActorDefinition(def)).toBe(true);
    expect(Object.isFrozen(def)).toBe(true);
    expect(def).toMatchObject({
      type: 'counter',
      replyWith: 'context',
      maxRecoveryAttempts: 3,
      passivateAfterMs: undefined,
      persist: { everyMs: undefined, onTransition: false },
    });
    expect(isActorDefinition({ type: 'counter', machine: counter })).toBe(false);
    expect(isActorDefinition(null)).toBe(false);
  });

  it('rejects invalid options with ConfigError', () => {
    const bad: Array<() => unknown> = [
      () => defineActor({ type: '', machine: counter }),
      () => defineActor({ type: 'a/b', machine: counter }),
      () => defineActor({ type: 'a b', machine: counter }),
      () => defineActor({ type: '1st', machine: counter }),
      () => defineActor({ type: 'x', machine: {} as never }),
      () => defineActor({ type: 'x', machine: counter, persist: { everyMs: 0 } }),
      () => defineActor({ type: 'x', machine: counter, passivateAfterMs: -1 }),
      () => defineActor({ type: 'x', machine: counter, shardBy: 'id' } as never),
      () => defineActor({ type: 'x', machine: counter, maxRecoveryAttempts: 1.5 }),
      () => defineActor({ type: 'x', machine: counter, replyWith: 'nope' as never }),
    ];
    for (const fn of bad) expect(configCode(fn)).toBe(ConfigError.code);
  });

  it('lets event and reply types flow from the machine', () => {
    const counterDef = defineActor({ type: 'counter', machine: counter });
    const accountDef = defineActor({ type: 'account', machine: account, replyWith: 'emit' });
    expectTypeOf<ActorEventOf<typeof counterDef>>().toEqualTypeOf<CounterEvent>();
    expectTypeOf<ActorReplyOf<typeof counterDef>>().toEqualTypeOf<{ count: number }>();
    expectTypeOf<ActorReplyOf<typeof accountDef>>().toEqualTypeOf<{ balance: number } | undefined>();
    expectTypeOf(counterDef.type).toEqualTypeOf<'counter'>();
  });
});

describe('nextLifecycleStatus', () => {
  const all: LifecycleStatus[] = ['initializing', 'running', 'paused', 'recovering', 'stopping', 'stopped'];

  it('follows the documented transitions', () => {
    expect(nextLifecycleStatus('initializing', { type: 'loaded' })).toBe('running');
    expect(nextLifecycleStatus('initializing', { type: 'failed' })).toBe('recovering');
    expect(nextLifecycleStatus('running', { type: 'failed' })).toBe('recovering');
    expect(nextLifecycleStatus('recovering', { type: 'recovered', pauseRequested: false })).toBe('running');
    expect(nextLifecycleStatus('recovering', { type: 'recovered', pauseRequested: true })).toBe('paused');
    expect(nextLifecycleStatus('running', { type: 'pause' })).toBe('paused');
    expect(nextLifecycleStatus('paused', { type: 'resume' })).toBe('running');
    expect(nextLifecycleStatus('paused', { type: 'stop' })).toBe('stopping');
    expect(nextLifecycleStatus('stopping', { type: 'stopped' })).toBe('stopped');
  });

  it('ignores events that do not apply', () => {
    expect(nextLifecycleStatus('paused', { type: 'pause' })).toBeUndefined();
    expect(nextLifecycleStatus('running', { type: 'resume' })).toBeUndefined();
    expect(nextLifecycleStatus('running', { type: 'loaded' })).toBeUndefined();
    expect(nextLifecycleStatus('running', { type: 'stopped' })).toBeUndefined();
    expect(nextLifecycleStatus('stopping', { type: 'stop' })).toBeUndefined();
    expect(nextLifecycleStatus('stopping', { type: 'failed' })).toBeUndefined();
  });

  it('never leaves stopped, and abort reaches stopped from anywhere else', () => {
    const events = [
      { type: 'loaded' },
      { type: 'failed' },
      { type: 'recovered', pauseRequested: false },
      { type: 'pause' },
      { type: 'resume' },
      { type: 'stop' },
      { type: 'stopped' },
      { type: 'abort' },
    ] as const;
    for (const event of events) expect(nextLifecycleStatus('stopped', event)).toBeUndefined();
    for (const status of all.filter((s) => s !== 'stopped')) {
      expect(nextLifecycleStatus(status, { type: 'abort' })).toBe('stopped');
    }
  });
});
