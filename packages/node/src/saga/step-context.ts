/**
 * The step context a saga step's code gets on a node: its identity (from the driver) plus the ways out, all
 * bound to the step's abort signal: `call` and `ask` through a client on the node's transport (routed by the
 * node's view, like any client), `effect` through the node's effect registry, and `waitFor` over the saga's
 * stored inbox (`saga-wait.ts`).
 */
import type {
  AnyActorDefinition,
  SagaDefinition,
  SagaEvent,
  SagaState,
  SagaStepContext,
} from '@lucent/actors/internal';
import type { Clock, FunctionDefinition } from '@lucent/core/internal';
import type { LucentClient } from '../client/lucent-client.js';
import type { EffectRegistry } from './effects.js';
import type { StepContextBase } from './saga-driver.js';
import { durableWaitFor, type SagaWaitServices } from './saga-wait.js';
import type { SagaWakeups } from './saga-wakeups.js';

/** What step contexts share on a node. */
export interface StepServices {
  readonly client: LucentClient;
  readonly effects: EffectRegistry;
  readonly clock: Clock;
  readonly wakeups: SagaWakeups;
  /** The saga definitions this node drives, by name. */
  definition(saga: string): SagaDefinition | undefined;
  /** Asks a saga's actor (durable: resolves with the stored state). */
  askSaga(definition: SagaDefinition, id: string, event: SagaEvent): Promise<SagaState>;
}

/** Builds the context of one step run. */
export function createStepContext(base: StepContextBase, services: StepServices): SagaStepContext {
  const { client, effects } = services;
  // The n-th waitFor of this run is wait `<step>[:compensate]#n`: the same in a run after a crash or a retry.
  const waitPrefix = base.idempotencyKey.slice(base.sagaId.length + 1);
  let waits = 0;
  return {
    ...base,
    call: ((fn: FunctionDefinition | string, input: unknown) =>
      typeof fn === 'string' ? client.call(fn, input) : client.call(fn, input)) as SagaStepContext['call'],
    ask: <R>(actor: AnyActorDefinition | string, id: string, message: unknown) =>
      client.actor<unknown, R>(typeof actor === 'string' ? actor : actor.type, id).ask(message),
    effect: <R>(name: string, args?: unknown) =>
      effects.run(name, args, base.idempotencyKey, base.signal) as Promise<R>,
    waitFor: <E>(type: string, match: (data: E) => boolean, timeoutMs: number) => {
      const definition = services.definition(base.saga)!;
      const wait: SagaWaitServices = {
        clock: services.clock,
        ask: (event) => services.askSaga(definition, base.sagaId, event),
        wakeups: services.wakeups,
        sagaKey: `${definition.actor.type}/${base.sagaId}`,
        saga: definition.name,
        subscribedTypes: definition.actor.subscriptions.map((subscription) => subscription.eventType),
      };
      return durableWaitFor(wait, `${waitPrefix}#${++waits}`, type, match, timeoutMs, base.signal);
    },
  };
}
