/**
 * The saga machine, the plan and the driver, in memory on a simulated clock: the saga's actor is a real function
 * actor (durable persistence into a `MemoryStateStore`), the driver runs real steps, and time only moves when the
 * test moves it.
 */
import {
  createActorSystem,
  createFunctionActors,
  defineSaga,
  flushMicrotasks,
  INITIAL_SAGA_STATE,
  MemoryStateStore,
  nextSagaAction,
  type SagaDefinition,
  type SagaError,
  type SagaState,
  type SagaStepContext,
} from '@lucent/actors/internal';
import { ConfigError, SagaStepInDoubtError, SimulatedClock, TimeoutError } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { type DriveOutcome, driveSaga, type SagaDriverServices } from '../src/saga/saga-driver.js';

/** Signals that never fire. */
function running() {
  const never = new AbortController().signal;
  return { drain: never, abort: never };
}

interface Harness {
  readonly clock: SimulatedClock;
  readonly services: SagaDriverServices;
  readonly deadLetters: { id: string; state: SagaState; error: SagaError }[];
  readonly finished: SagaState[];
  start(id: string, input: unknown): Promise<SagaState>;
  drive(id: string): Promise<DriveOutcome>;
  state(id: string): Promise<SagaState>;
}

function harness(saga: SagaDefinition, store = new MemoryStateStore(), live = new Set<string>()): Harness {
  const clock = new SimulatedClock();
  const system = createActorSystem({ name: 'saga-test', clock });
  const actors = createFunctionActors({ system, store, definitions: [saga.actor] });
  const ask = (id: string, event: unknown) =>
    (actors as unknown as { ask(t: string, i: string, e: unknown): Promise<SagaState> }).ask(
      saga.actor.type,
      id,
      event,
    );
  const deadLetters: Harness['deadLetters'] = [];
  const finished: SagaState[] = [];
  const services: SagaDriverServices = {
    clock,
    nodeId: 'here',
    isAlive: (node) => live.has(node),
    ask: (_definition, id, event) => ask(id, event),
    stepContext: (base) =>
      ({
        ...base,
        call: () => Promise.reject(new Error('no calls here')),
        ask: () => Promise.reject(new Error('no asks here')),
        effect: () => Promise.reject(new Error('no effects here')),
        waitFor: () => Promise.reject(new Error('no events here')),
      }) as SagaStepContext,
    deadLetter: async (_definition, id, state, error) => {
      deadLetters.push({ id, state, error });
    },
    finished: async (_definition, _id, state) => {
      finished.push(state);
    },
    owns: () => true,
  };
  return {
    clock,
    services,
    deadLetters,
    finished,
    start: (id, input) => ask(id, { type: 'saga.start', input }),
    drive: (id) => driveSaga(saga, id, services, running()),
    state: (id) => ask(id, { type: 'saga.status' }),
  };
}

/** Drives `id` while advancing simulated time in steps, until the drive settles. */
async function driveWithTime(h: Harness, id: string, stepMs = 100, maxMs = 120_000): Promise<DriveOutcome> {
  let outcome: DriveOutcome | undefined;
  let failure: unknown;
  void h.drive(id).then(
    (o) => {
      outcome = o;
    },
    (e: unknown) => {
      failure = e;
    },
  );
  for (let t = 0; t <= maxMs && outcome === undefined && failure === undefined; t += stepMs) {
    await flushMicrotasks();
    h.clock.advance(stepMs);
  }
  await flushMicrotasks();
  if (failure !== undefined) throw failure;
  if (outcome === undefined) throw new Error('the drive did not settle');
  return outcome;
}

/** `promise`'s value, moving simulated time 10 ms at a time (at most 10 s) while it is pending. */
async function settled<T>(clock: SimulatedClock, promise: Promise<T>): Promise<T> {
  let done = false;
  void promise.finally(() => {
    done = true;
  });
  for (let i = 0; i < 1_000 && !done; i++) {
    await flushMicrotasks();
    clock.advance(10);
  }
  return promise;
}

/** A saga of three steps a, b, c that log what runs; `failAt` names a step that throws. */
function orderSaga(log: string[], options: { failAt?: string; failCompensationOf?: string } = {}) {
  const step = (name: string) => ({
    name,
    run: (ctx: SagaStepContext<{ order: string }>) => {
      log.push(`run ${name} ${ctx.idempotencyKey}`);
      if (options.failAt === name) throw new Error(`${name} failed`);
      return `${name}-done`;
    },
    compensate: (ctx: SagaStepContext<{ order: string }>) => {
      log.push(`undo ${name} ${String(ctx.results[name])}`);
      if (options.failCompensationOf === name) throw new Error(`cannot undo ${name}`);
    },
  });
  return defineSaga<{ order: string }>({
    name: 'order',
    steps: [step('a'), step('b'), step('c')],
    compensation: { maxAttempts: 3, backoffMs: 1_000 },
  });
}

describe('saga machine', () => {
  it('moves idle → running → completed, storing each result; a repeated start or stale report changes nothing', () => {
    const saga = orderSaga([]);
    const actor = createActor(saga.actor.machine).start();
    actor.send({ type: 'saga.start', input: { order: 'o1' } });
    actor.send({ type: 'saga.start', input: { order: 'other' } });
    actor.send({
      type: 'saga.begin',
      phase: 'run',
      index: 0,
      deadline: 0,
      at: 1,
      driver: 'd#1',
      node: 'n',
      resumes: null,
    });
    actor.send({ type: 'saga.stepDone', index: 1, driver: 'd#1', output: 'stale' }); // not the step in flight
    actor.send({ type: 'saga.stepDone', index: 0, driver: 'other#1', output: 'X' }); // not the driver that began it
    // A second begin of the step in flight is refused unless it names the driver it takes over.
    actor.send({
      type: 'saga.begin',
      phase: 'run',
      index: 0,
      deadline: 0,
      at: 1,
      driver: 'other#1',
      node: 'm',
      resumes: null,
    });
    expect(actor.getSnapshot().context.inFlight?.driver).toBe('d#1');
    actor.send({ type: 'saga.stepDone', index: 0, driver: 'd#1', output: 'A' });
    actor.send({
      type: 'saga.begin',
      phase: 'run',
      index: 1,
      deadline: 0,
      at: 2,
      driver: 'd#1',
      node: 'n',
      resumes: null,
    });
    actor.send({ type: 'saga.stepDone', index: 1, driver: 'd#1', output: 'B' });
    actor.send({
      type: 'saga.begin',
      phase: 'run',
      index: 2,
      deadline: 0,
      at: 3,
      driver: 'd#1',
      node: 'n',
      resumes: null,
    });
    actor.send({ type: 'saga.stepDone', index: 2, driver: 'd#1', output: 'C' });
    const { context, value } = actor.getSnapshot();
    expect(value).toBe('completed');
    expect(context.status).toBe('completed');
    expect(context.input).toEqual({ order: 'o1' });
    expect(context.results).toEqual({ a: 'A', b: 'B', c: 'C' });
    expect(context.runs).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('a failed step leads to compensating the steps before it, last first, then compensated or failed', () => {
    const saga = orderSaga([]);
    const actor = createActor(saga.actor.machine).start();
    actor.send({ type: 'saga.start', input: {} });
    for (const index of [0, 1]) {
      actor.send({
        type: 'saga.begin',
        phase: 'run',
        index,
        deadline: 0,
        at: 0,
        driver: 'd#1',
        node: 'n',
        resumes: null,
      });
      actor.send({ type: 'saga.stepDone', index, driver: 'd#1', output: index });
    }
    actor.send({
      type: 'saga.begin',
      phase: 'run',
      index: 2,
      deadline: 0,
      at: 0,
      driver: 'd#1',
      node: 'n',
      resumes: null,
    });
    actor.send({ type: 'saga.stepFailed', index: 2, driver: 'd#1', error: { code: 'X', message: 'x', step: 'c' } });
    expect(actor.getSnapshot().context).toMatchObject({ status: 'compensating', index: 1, error: { step: 'c' } });
    actor.send({ type: 'saga.compensated', index: 1, driver: null });
    expect(actor.getSnapshot().context).toMatchObject({ status: 'compensating', index: 0 });
    actor.send({
      type: 'saga.compensationFailed',
      index: 0,
      driver: null,
      error: { code: 'Y', message: 'y', step: 'a' },
    });
    expect(actor.getSnapshot().context).toMatchObject({ status: 'failed', compensationError: { step: 'a' } });
  });
});

describe('nextSagaAction', () => {
  const idempotent = defineSaga({
    name: 'plan',
    steps: [
      { name: 'once', run: () => 1 },
      { name: 'again', run: () => 2, idempotent: true, retry: { maxAttempts: 3 } },
    ],
  });
  const inFlight = (index: number) => ({
    phase: 'run' as const,
    index,
    deadline: 0,
    startedAt: 0,
    driver: 'd#1',
    node: 'n',
  });

  it('re-runs an interrupted step only when it is idempotent; otherwise it is in doubt', () => {
    const running: SagaState = { ...INITIAL_SAGA_STATE, status: 'running' };
    expect(nextSagaAction(idempotent, running)).toEqual({ type: 'run', index: 0, resumed: false });
    expect(nextSagaAction(idempotent, { ...running, inFlight: inFlight(0) })).toEqual({ type: 'in-doubt', index: 0 });
    expect(nextSagaAction(idempotent, { ...running, index: 1, inFlight: inFlight(1) })).toEqual({
      type: 'run',
      index: 1,
      resumed: true,
    });
    expect(nextSagaAction(idempotent, { ...running, status: 'compensating', index: 0 })).toEqual({
      type: 'skip-compensation',
      index: 0,
    });
    expect(nextSagaAction(idempotent, INITIAL_SAGA_STATE)).toEqual({ type: 'wait' });
    expect(nextSagaAction(idempotent, { ...running, status: 'completed' })).toEqual({ type: 'finished' });
  });

  it('defineSaga refuses a retried step that is not idempotent, and bad names', () => {
    const field = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        if (ConfigError.is(error)) return (error.details as { field: string }).field;
      }
      return undefined;
    };
    expect(
      field(() => defineSaga({ name: 's', steps: [{ name: 'x', run: () => 1, retry: { maxAttempts: 2 } }] })),
    ).toBe('steps.x.retry');
    expect(field(() => defineSaga({ name: 's.x', steps: [{ name: 'x', run: () => 1 }] }))).toBe('name');
    expect(field(() => defineSaga({ name: 's', steps: [] }))).toBe('steps');
  });
});

describe('driveSaga', () => {
  it('runs every step once and records the results', async () => {
    const log: string[] = [];
    const h = harness(orderSaga(log));
    await h.start('s1', { order: 'o1' });
    expect(await driveWithTime(h, 's1')).toBe('finished');
    expect(log).toEqual(['run a s1:a', 'run b s1:b', 'run c s1:c']);
    expect(h.finished[0]).toMatchObject({ status: 'completed', results: { a: 'a-done', b: 'b-done', c: 'c-done' } });
  });

  it('a third step that fails compensates the first two in reverse order', async () => {
    const log: string[] = [];
    const h = harness(orderSaga(log, { failAt: 'c' }));
    await h.start('s2', { order: 'o2' });
    expect(await driveWithTime(h, 's2')).toBe('finished');
    expect(log).toEqual(['run a s2:a', 'run b s2:b', 'run c s2:c', 'undo b b-done', 'undo a a-done']);
    expect(h.finished[0]).toMatchObject({ status: 'compensated', error: { step: 'c' } });
  });

  it('a step past its timeout fails with TimeoutError (simulated time) and is compensated', async () => {
    const log: string[] = [];
    const saga = defineSaga({
      name: 'slow',
      steps: [
        { name: 'first', run: () => log.push('first'), compensate: () => log.push('undo first') },
        { name: 'hang', run: () => new Promise(() => {}), timeoutMs: 5_000 },
      ],
    });
    const h = harness(saga);
    await h.start('s3', {});
    expect(await driveWithTime(h, 's3')).toBe('finished');
    expect(log).toEqual(['first', 'undo first']);
    expect(h.finished[0]).toMatchObject({ status: 'compensated', error: { code: TimeoutError.code, step: 'hang' } });
  });

  it('a compensation that keeps failing is retried, then the saga is dead-lettered with its state', async () => {
    const log: string[] = [];
    const h = harness(orderSaga(log, { failAt: 'c', failCompensationOf: 'a' }));
    await h.start('s4', { order: 'o4' });
    expect(await driveWithTime(h, 's4')).toBe('finished');
    expect(log.filter((line) => line.startsWith('undo a'))).toHaveLength(3); // compensation.maxAttempts
    expect(h.deadLetters).toHaveLength(1);
    expect(h.deadLetters[0]).toMatchObject({
      id: 's4',
      error: { step: 'a' },
      state: { status: 'compensating', index: 0 },
    });
    expect(h.finished[0]).toMatchObject({ status: 'failed', compensationError: { step: 'a' } });
  });

  it('resumes from the stored state after a crash: an interrupted step is re-run only when idempotent', async () => {
    const store = new MemoryStateStore();
    const log: string[] = [];
    const saga = defineSaga({
      name: 'resume',
      steps: [
        { name: 'charge', run: () => log.push('charge'), compensate: () => log.push('refund') },
        { name: 'reserve', run: () => log.push('reserve') },
      ],
    });
    // A node ran 'charge', recorded 'reserve' as begun, and died.
    const first = harness(saga, store);
    await first.start('r1', {});
    const begin = {
      type: 'saga.begin',
      phase: 'run',
      deadline: 0,
      at: 0,
      driver: 'gone#1',
      node: 'gone',
      resumes: null,
    } as const;
    await first.services.ask(saga, 'r1', { ...begin, index: 0 });
    await first.services.ask(saga, 'r1', { type: 'saga.stepDone', index: 0, driver: 'gone#1', output: 'charged' });
    await first.services.ask(saga, 'r1', { ...begin, index: 1 });
    // While node 'gone' is alive the step in flight is its own: the next owner leaves it.
    const meanwhile = harness(saga, store, new Set(['gone']));
    expect(await driveWithTime(meanwhile, 'r1')).toBe('not-owner');
    // The next owner loads the same store: 'reserve' is in doubt, so 'charge' is compensated.
    const next = harness(saga, store);
    expect(await driveWithTime(next, 'r1')).toBe('finished');
    expect(log).toEqual(['refund']);
    expect(next.finished[0]).toMatchObject({ status: 'compensated', error: { code: SagaStepInDoubtError.code } });
    expect(next.finished[0]?.runs).toEqual({ charge: 1, reserve: 1, 'charge.compensate': 1 });
  });

  it('a node that does not own the saga does not drive it; an unstarted saga waits', async () => {
    const h = harness(orderSaga([]));
    expect(await h.drive('never-started')).toBe('not-started');
    await h.start('s5', {});
    const notOwner = { ...h.services, owns: () => false };
    expect(await driveSaga(orderSaga([]), 's5', notOwner, running())).toBe('not-owner');
    expect((await h.state('s5')).index).toBe(0);
  });

  it('a graceful stop lets a step in progress finish and be recorded; an idempotent one is stopped at once', async () => {
    let release: (() => void) | undefined;
    const saga = defineSaga({
      name: 'drain',
      steps: [
        { name: 'slow', run: () => new Promise<string>((resolve) => (release = () => resolve('slow-done'))) },
        { name: 'wait', idempotent: true, run: () => new Promise(() => {}) },
        { name: 'never', run: () => 'x' },
      ],
    });
    const h = harness(saga);
    await h.start('d1', {});
    const drain = new AbortController();
    const abort = new AbortController();
    const outcome = driveSaga(saga, 'd1', h.services, { drain: drain.signal, abort: abort.signal });
    for (let i = 0; i < 1_000 && release === undefined; i++) {
      await flushMicrotasks();
      h.clock.advance(10);
    }
    drain.abort(); // shutdown began while 'slow' runs
    release?.();
    expect(await settled(h.clock, outcome)).toBe('stopped');
    const afterSlow = await settled(h.clock, h.state('d1'));
    expect(afterSlow).toMatchObject({ index: 1, results: { slow: 'slow-done' }, inFlight: null });

    const drain2 = new AbortController();
    const second = driveSaga(saga, 'd1', h.services, { drain: drain2.signal, abort: abort.signal });
    await settled(h.clock, h.state('d1'));
    for (let i = 0; i < 100 && (await settled(h.clock, h.state('d1'))).inFlight === null; i++) h.clock.advance(10);
    drain2.abort(); // 'wait' is idempotent: stopped now, left in flight for the next owner
    expect(await settled(h.clock, second)).toBe('stopped');
    expect((await settled(h.clock, h.state('d1'))).inFlight).toMatchObject({ phase: 'run', index: 1 });
  });
});
