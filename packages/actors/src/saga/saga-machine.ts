/**
 * The xstate machine of a saga: pure transitions over {@link SagaState} (diagram in `saga-state.ts`). It decides
 * nothing about I/O; the node's saga driver reads the state, runs the step it calls for, and reports back with an
 * event, each one stored (durable persistence) before the driver goes on. Events that do not fit the state (a
 * stale report for another step, a second start) are ignored, so a repeated report is harmless.
 */
import { assign, setup } from 'xstate';
import type { SubscribedEvent } from '../function-actor/actor-subscriptions.js';
import {
  INITIAL_SAGA_STATE,
  SAGA_INBOX_CAPACITY,
  type SagaEvent,
  type SagaInboxEvent,
  type SagaState,
} from './saga-state.js';

/**
 * Builds the machine of a saga whose steps are named `stepNames` (in order) and that stores the events of
 * `subscribedTypes` (delivered by its subscriptions) in its inbox while it runs or compensates.
 */
export function createSagaMachine(stepNames: readonly string[], subscribedTypes: readonly string[] = []) {
  const subscribed = new Set(subscribedTypes);
  const last = stepNames.length - 1;
  const nameOf = (index: number) => stepNames[index] ?? `#${index}`;
  type Event = SagaEvent;
  // A report counts only for the step in flight and from the driver that began it (or, for a report without a
  // begin, only while nothing is in flight): a stale or duplicate driver's reports are ignored.
  const matchesInFlight = (context: SagaState, phase: 'run' | 'compensate', index: number, driver: string | null) =>
    context.index === index &&
    (context.inFlight === null
      ? driver === null
      : context.inFlight.phase === phase && context.inFlight.index === index && context.inFlight.driver === driver);
  // A begin is a compare-and-set: on a step nobody began, or taking over the in-flight step of a named driver.
  const canBegin = (context: SagaState, phase: 'run' | 'compensate', index: number, resumes: string | null) =>
    context.index === index &&
    (context.inFlight === null
      ? resumes === null
      : context.inFlight.phase === phase && context.inFlight.index === index && context.inFlight.driver === resumes);
  const machineSetup = setup({
    types: { context: {} as SagaState, events: {} as Event },
    guards: {
      beginRun: ({ context, event }) =>
        event.type === 'saga.begin' && event.phase === 'run' && canBegin(context, 'run', event.index, event.resumes),
      beginCompensation: ({ context, event }) =>
        event.type === 'saga.begin' &&
        event.phase === 'compensate' &&
        canBegin(context, 'compensate', event.index, event.resumes),
      lastStepDone: ({ context, event }) =>
        event.type === 'saga.stepDone' &&
        event.index === last &&
        matchesInFlight(context, 'run', event.index, event.driver),
      stepDone: ({ context, event }) =>
        event.type === 'saga.stepDone' && matchesInFlight(context, 'run', event.index, event.driver),
      nothingToCompensate: ({ context, event }) =>
        event.type === 'saga.stepFailed' &&
        event.index === 0 &&
        matchesInFlight(context, 'run', event.index, event.driver),
      stepFailed: ({ context, event }) =>
        event.type === 'saga.stepFailed' && matchesInFlight(context, 'run', event.index, event.driver),
      firstCompensated: ({ context, event }) =>
        event.type === 'saga.compensated' &&
        event.index === 0 &&
        matchesInFlight(context, 'compensate', event.index, event.driver),
      compensated: ({ context, event }) =>
        event.type === 'saga.compensated' && matchesInFlight(context, 'compensate', event.index, event.driver),
      // Any event type the saga subscribes to (the wildcard transition); a repeat of a stored id is not stored again.
      newSubscribedEvent: ({ context, event }) => {
        const { type, eventId } = event as unknown as SubscribedEvent;
        if (!subscribed.has(type) || typeof eventId !== 'string') return false;
        return (
          !context.inbox.some((stored) => stored.eventId === eventId) &&
          !Object.values(context.claims).some((claimed) => claimed.eventId === eventId)
        );
      },
      compensationFailed: ({ context, event }) =>
        event.type === 'saga.compensationFailed' && matchesInFlight(context, 'compensate', event.index, event.driver),
    },
    actions: {
      begin: assign(({ context, event }) => {
        if (event.type !== 'saga.begin') return {};
        const name = nameOf(event.index);
        return {
          inFlight: {
            phase: event.phase,
            index: event.index,
            deadline: event.deadline,
            startedAt: event.at,
            driver: event.driver,
            node: event.node,
          },
          runs: {
            ...context.runs,
            [event.phase === 'run' ? name : `${name}.compensate`]:
              (context.runs[event.phase === 'run' ? name : `${name}.compensate`] ?? 0) + 1,
          },
        };
      }),
      recordDone: assign(({ context, event }) => {
        if (event.type !== 'saga.stepDone') return {};
        return {
          index: event.index + 1,
          inFlight: null,
          results: { ...context.results, [nameOf(event.index)]: event.output },
        };
      }),
      // The failed step did not complete: compensation starts with the step before it.
      recordFailure: assign(({ event }) =>
        event.type === 'saga.stepFailed' ? { index: event.index - 1, inFlight: null, error: event.error } : {},
      ),
      recordCompensated: assign(({ event }) =>
        event.type === 'saga.compensated' ? { index: event.index - 1, inFlight: null } : {},
      ),
      storeEvent: assign(({ context, event }) => {
        const { type, eventId, data } = event as unknown as SubscribedEvent;
        const inbox: SagaInboxEvent[] = [...context.inbox, { type, eventId, data }];
        const dropped = Math.max(0, inbox.length - SAGA_INBOX_CAPACITY);
        return { inbox: inbox.slice(dropped), inboxDropped: context.inboxDropped + dropped };
      }),
      recordWait: assign(({ context, event }) => {
        if (event.type !== 'saga.wait' || context.waits[event.key] !== undefined) return {};
        return { waits: { ...context.waits, [event.key]: event.wait } };
      }),
      claimEvent: assign(({ context, event }) => {
        if (event.type !== 'saga.claim' || context.claims[event.key] !== undefined) return {};
        const claimed = context.inbox.find((stored) => stored.eventId === event.eventId);
        if (claimed === undefined) return {};
        return {
          inbox: context.inbox.filter((stored) => stored !== claimed),
          claims: { ...context.claims, [event.key]: claimed },
        };
      }),
      recordCompensationFailure: assign(({ event }) =>
        event.type === 'saga.compensationFailed' ? { inFlight: null, compensationError: event.error } : {},
      ),
    },
  });
  // Waits, claims and subscribed events count while the saga runs or compensates (a compensation may wait too).
  const waiting = {
    'saga.wait': { actions: 'recordWait' },
    'saga.claim': { actions: 'claimEvent' },
    '*': { guard: 'newSubscribedEvent', actions: 'storeEvent' },
  } as const;
  return machineSetup.createMachine({
    id: 'saga',
    context: INITIAL_SAGA_STATE,
    initial: 'idle',
    states: {
      idle: {
        on: {
          'saga.start': {
            target: 'running',
            actions: assign(({ event }) => ({ status: 'running' as const, input: event.input })),
          },
        },
      },
      running: {
        on: {
          ...waiting,
          'saga.begin': { guard: 'beginRun', actions: 'begin' },
          'saga.stepDone': [
            {
              guard: 'lastStepDone',
              target: 'completed',
              actions: ['recordDone', assign({ status: 'completed' as const })],
            },
            { guard: 'stepDone', actions: 'recordDone' },
          ],
          'saga.stepFailed': [
            {
              guard: 'nothingToCompensate',
              target: 'compensated',
              actions: ['recordFailure', assign({ status: 'compensated' as const })],
            },
            {
              guard: 'stepFailed',
              target: 'compensating',
              actions: ['recordFailure', assign({ status: 'compensating' as const })],
            },
          ],
        },
      },
      compensating: {
        on: {
          ...waiting,
          'saga.begin': { guard: 'beginCompensation', actions: 'begin' },
          'saga.compensated': [
            {
              guard: 'firstCompensated',
              target: 'compensated',
              actions: ['recordCompensated', assign({ status: 'compensated' as const })],
            },
            { guard: 'compensated', actions: 'recordCompensated' },
          ],
          'saga.compensationFailed': {
            guard: 'compensationFailed',
            target: 'failed',
            actions: ['recordCompensationFailure', assign({ status: 'failed' as const })],
          },
        },
      },
      completed: {},
      compensated: {},
      failed: {},
    },
  });
}

/** The machine type of a saga. */
export type SagaMachine = ReturnType<typeof createSagaMachine>;
