/**
 * The step context a saga step's code gets on a node: its identity (from the driver) plus the ways out, all
 * bound to the step's abort signal: `call` and `ask` through a client on the node's transport (routed by the
 * node's view, like any client), `effect` through the node's effect registry, and `waitFor` on the event subject.
 */
import type { AnyActorDefinition, SagaStepContext } from '@lucent/actors/internal';
import {
  type Clock,
  type EnvelopeCodec,
  eventSubject,
  type FunctionDefinition,
  TimeoutError,
} from '@lucent/core/internal';
import type { LucentClient } from '../client/lucent-client.js';
import type { Transport } from '../transport/transport.js';
import type { EffectRegistry } from './effects.js';
import type { StepContextBase } from './saga-driver.js';

/** What step contexts share on a node. */
export interface StepServices {
  readonly client: LucentClient;
  readonly effects: EffectRegistry;
  readonly transport: Transport;
  readonly codec: EnvelopeCodec;
  readonly cluster: string;
  readonly clock: Clock;
}

/** Builds the context of one step run. */
export function createStepContext(base: StepContextBase, services: StepServices): SagaStepContext {
  const { client, effects } = services;
  return {
    ...base,
    call: ((fn: FunctionDefinition | string, input: unknown) =>
      typeof fn === 'string' ? client.call(fn, input) : client.call(fn, input)) as SagaStepContext['call'],
    ask: <R>(actor: AnyActorDefinition | string, id: string, message: unknown) =>
      client.actor<unknown, R>(typeof actor === 'string' ? actor : actor.type, id).ask(message),
    effect: <R>(name: string, args?: unknown) =>
      effects.run(name, args, base.idempotencyKey, base.signal) as Promise<R>,
    waitFor: <E>(type: string, match: (data: E) => boolean, timeoutMs: number) =>
      waitForEvent(services, type, match, timeoutMs, base.signal),
  };
}

/**
 * The data of the first event of `type` published from now on that `match`es. Rejects with `TimeoutError` after
 * `timeoutMs`, or with the signal's reason when it aborts. A core subscription on the event subject: events
 * published before it (or while no node was waiting) are not seen.
 */
export function waitForEvent<E>(
  services: Pick<StepServices, 'transport' | 'codec' | 'cluster' | 'clock'>,
  type: string,
  match: (data: E) => boolean,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<E> {
  const { transport, codec, cluster, clock } = services;
  return new Promise<E>((resolve, reject) => {
    const finish = (settle: () => void) => {
      subscription.unsubscribe();
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(signal.reason));
    const subscription = transport.subscribe(eventSubject(cluster, type), (frame) => {
      const data = codec.decode(frame).payload as E;
      let matched = false;
      try {
        matched = match(data);
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      if (matched) finish(() => resolve(data));
    });
    const timer = clock.setTimeout(
      () => finish(() => reject(new TimeoutError({ target: `waitFor ${type}`, timeoutMs }))),
      timeoutMs,
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
