/**
 * What a client's sagas use of the client: its actor handles, its clock, and the saga index opened once on its
 * NATS connection (lazily: a client that starts no saga never touches the bucket).
 */
import type { SagaState } from '@lucent/actors/internal';
import { ConfigError } from '@lucent/core/internal';
import { KvSagaIndex, type SagaIndex } from '../saga/saga-index.js';
import { NatsTransport } from '../transport/nats-transport.js';
import type { ActorHandle } from './actor-handle.js';
import type { ClientCore } from './client-core.js';
import type { SagaClientParts } from './saga-client.js';

/** Builds the parts for `client.saga()` over `core`; `actor` is the client's own `actor()` method. */
export function sagaClientParts(
  core: ClientCore,
  actor: (type: string, id: string) => ActorHandle<unknown, unknown>,
): SagaClientParts {
  let index: Promise<SagaIndex> | undefined;
  const clock = core.clock;
  return {
    actor: (type, id) => actor(type, id) as ActorHandle<unknown, SagaState>,
    index: () => {
      if (!(core.transport instanceof NatsTransport)) {
        return Promise.reject(
          new ConfigError({
            subject: 'client.saga',
            field: 'transport',
            reason: 'sagas need a NATS connection (JetStream KV)',
          }),
        );
      }
      index ??= KvSagaIndex.open(core.transport.natsConnection, core.cluster);
      return index;
    },
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    now: () => clock.now(),
  };
}
