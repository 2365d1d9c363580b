/**
 * What a client's sagas use of the client: its actor handles, its clock, and the saga index opened once on its
 * transport (lazily: a client that starts no saga never touches the bucket).
 */
import type { SagaState } from '@lucent/actors/internal';
import { sagaIndexFor } from '../saga/saga-index-for.js';
import type { ActorHandle } from './actor-handle.js';
import type { ClientCore } from './client-core.js';
import type { SagaClientParts } from './saga-client.js';

/** Builds the parts for `client.saga()` over `core`; `actor` is the client's own `actor()` method. */
export function sagaClientParts(
  core: ClientCore,
  actor: (type: string, id: string) => ActorHandle<unknown, unknown>,
): SagaClientParts {
  const clock = core.clock;
  return {
    actor: (type, id) => actor(type, id) as ActorHandle<unknown, SagaState>,
    // NATS: the KV bucket; in memory: the bus's index, shared with the standalone node on it.
    index: () => sagaIndexFor(core.transport, core.cluster),
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    now: () => clock.now(),
  };
}
