/**
 * A client inside a node, for the parts that talk to the cluster as any client would (saga steps and reports,
 * actor subscriptions): the node's transport, codec, clock and id, routing with the node's view when it has one.
 */
import type { ViewSource } from '@lucent/core/internal';
import { createClient, type LucentClient } from '../client/lucent-client.js';
import type { ShardContext } from './shard-context.js';

/** See the module doc. The client shares the node's transport: do not close it before the node stops. */
export function nodeClient(context: ShardContext, view: ViewSource | undefined): LucentClient {
  return createClient({
    transport: context.transport,
    cluster: context.cluster,
    origin: context.nodeId,
    clock: context.clock,
    codec: context.codec,
    ...(view === undefined ? {} : { viewSource: view }),
  });
}
