/**
 * `actors/saga`: the cost of the saga machinery per step, in one process. One tinybench task drives a saga of
 * {@link STEPS} trivial steps to completion (the node's driver over a durable saga actor in a `MemoryStateStore`:
 * per step a stored `begin` and a stored `stepDone`, plus the start and the final status). The baseline does the
 * same number of durable asks to a plain counter function actor on the same store: what the saga costs beyond the
 * stored state changes it needs anyway. A third task runs the same saga whose last step is a durable `waitFor`
 * of an event the saga already stored (one more stored ask for the event, plus the wait's `saga.wait` and
 * `saga.claim`): what a wait costs when its event is there.
 */
import {
  createActorSystem,
  createFunctionActors,
  defineSaga,
  MemoryStateStore,
  type SagaState,
  type SagaStepContext,
} from '@lucent/actors/internal';
import { systemClock } from '@lucent/core/internal';
import { driveSaga, durableWaitFor, type SagaDriverServices, SagaWakeups } from '@lucent/node/internal';
import { counter, INC } from '../fixtures/counter-actor.js';
import { measureOps } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const STEPS = 5;
/** Asks a saga of {@link STEPS} steps makes: start, status, begin + done per step. */
const ASKS_PER_SAGA = 2 + 2 * STEPS;

const saga = defineSaga({
  name: 'bench',
  steps: Array.from({ length: STEPS }, (_, i) => ({ name: `s${i}`, run: () => i })),
});

const waiting = defineSaga({
  name: 'benchwait',
  subscribe: { Paid: { idFrom: (data: { id: string }) => data.id } },
  steps: Array.from({ length: STEPS }, (_, i) => ({
    name: `s${i}`,
    idempotent: true,
    run: (ctx: SagaStepContext) => (i < STEPS - 1 ? i : ctx.waitFor('Paid', () => true, 60_000)),
  })),
});

export const scenario: Scenario = {
  name: 'actors/saga',
  suite: 'actors',
  async run(opts) {
    const system = createActorSystem({ name: 'bench-saga' });
    const store = new MemoryStateStore();
    const actors = createFunctionActors({ system, store, definitions: [saga.actor, waiting.actor, counter] });
    const ask = actors as unknown as { ask(t: string, i: string, e: unknown): Promise<unknown> };
    const never = new AbortController().signal;
    const services: SagaDriverServices = {
      clock: systemClock,
      nodeId: 'bench',
      isAlive: () => false,
      ask: (_d, id, event) => ask.ask(saga.actor.type, id, event) as Promise<SagaState>,
      stepContext: (base) => base as SagaStepContext,
      deadLetter: async () => {},
      finished: async () => {},
      owns: () => true,
    };
    const wakeups = new SagaWakeups(systemClock);
    const waitingServices: SagaDriverServices = {
      ...services,
      ask: (_d, id, event) => ask.ask(waiting.actor.type, id, event) as Promise<SagaState>,
      stepContext: (base) =>
        ({
          ...base,
          waitFor: (type: string, match: (data: unknown) => boolean, timeoutMs: number) =>
            durableWaitFor(
              {
                clock: systemClock,
                ask: (event) => ask.ask(waiting.actor.type, base.sagaId, event) as Promise<SagaState>,
                wakeups,
                sagaKey: `${waiting.actor.type}/${base.sagaId}`,
                saga: waiting.name,
                subscribedTypes: ['Paid'],
              },
              `${base.step}#1`,
              type,
              match,
              timeoutMs,
              base.signal,
            ),
        }) as SagaStepContext,
    };
    let seq = 0;
    const tasks = {
      [`saga of ${STEPS} steps, driven to completion`]: async () => {
        const id = `s-${seq++}`;
        await ask.ask(saga.actor.type, id, { type: 'saga.start', input: null });
        await driveSaga(saga, id, services, { drain: never, abort: never });
      },
      [`saga of ${STEPS} steps, the last a waitFor of a stored event`]: async () => {
        const id = `w-${seq++}`;
        await ask.ask(waiting.actor.type, id, { type: 'saga.start', input: null });
        await ask.ask(waiting.actor.type, id, { type: 'Paid', eventId: id, data: { id } });
        await driveSaga(waiting, id, waitingServices, { drain: never, abort: never });
      },
      [`${ASKS_PER_SAGA} durable asks to a counter actor`]: async () => {
        const id = `c-${seq++}`;
        for (let i = 0; i < ASKS_PER_SAGA; i++) await ask.ask(counter.type, id, INC);
      },
    };
    const ops = await measureOps(tasks, opts);
    await actors.stopAll();
    await system.terminate();
    const [sagaOps, waitOps, asksOps] = [ops[0]!, ops[2]!, ops[4]!];
    const measurements: Measurement[] = [
      {
        name: 'sagas/s',
        value: sagaOps.value,
        unit: 'ops/s',
        ...(sagaOps.rme === undefined ? {} : { rme: sagaOps.rme }),
      },
      { name: 'saga steps/s', value: sagaOps.value * STEPS, unit: 'ops/s' },
      { name: 'same asks, plain actor (per saga)', value: asksOps.value, unit: 'ops/s' },
      { name: 'sagas/s, last step a waitFor', value: waitOps.value, unit: 'ops/s' },
    ];
    return {
      measurements,
      ratios: [
        { name: 'saga vs the same stored asks', of: 'sagas/s', to: 'same asks, plain actor (per saga)' },
        { name: 'saga with a waitFor vs without', of: 'sagas/s, last step a waitFor', to: 'sagas/s' },
      ],
      notes: [
        `one saga = ${ASKS_PER_SAGA} durable asks (start, status, begin + done per step) on a MemoryStateStore; ` +
          'on a node each is a JetStream KV write, which dominates (see node/durable)',
      ],
    };
  },
};
