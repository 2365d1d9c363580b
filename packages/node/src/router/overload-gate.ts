/**
 * The owner's answer when it is too busy: a `hash` or `sticky` call belongs to its key's owner (state and
 * order live there), so no other node may take it; when that owner's load score is at or above the overload
 * threshold (0.9) it refuses the call at once with `OverloadedError` and a retry-after, instead of queueing it
 * behind a backlog it cannot clear. Calls routed by the other strategies are never refused here: their sender
 * already chose a shard below the threshold, or the least-loaded one.
 *
 * Cost: one property read and one comparison per served call; nothing allocated unless it refuses.
 */
import { type FunctionDefinition, isOverloaded, OverloadedError, ownsKeys } from '@lucent/core/internal';

/**
 * This node's load as the router reads it: a mutable holder the load sampler (`load/load-sampler.ts`) writes
 * once per interval, so reading it costs one property load.
 */
export interface LocalLoad {
  /** Load score (0..1), `nodeLoadScore` of the latest sample. */
  score: number;
  /** How long a refused caller should wait before retrying: about one sampling interval. */
  retryAfterMs: number;
}

/** A node that never measures its load: always idle (unit tests, embedders without a sampler). */
export function idleLoad(): LocalLoad {
  return { score: 0, retryAfterMs: 0 };
}

/**
 * The `OverloadedError` this node answers a call of `definition` with, or `undefined` when it serves it (the
 * strategy does not own keys, or the node is below the threshold).
 */
export function overloadRefusal(
  definition: FunctionDefinition,
  load: LocalLoad,
  nodeId: string,
  target: string,
): OverloadedError | undefined {
  if (!isOverloaded(load.score)) return undefined;
  const routing = definition.routing;
  if (routing === undefined || !ownsKeys(routing)) return undefined;
  return overloaded(load, nodeId, target);
}

/**
 * The `OverloadedError` this node answers an ask of actor `target` (`type/id`) with when it owns the actor but is at
 * or above the overload threshold, or `undefined` when it serves it.
 */
export function askOverloadRefusal(load: LocalLoad, nodeId: string, target: string): OverloadedError | undefined {
  return isOverloaded(load.score) ? overloaded(load, nodeId, target) : undefined;
}

function overloaded(load: LocalLoad, nodeId: string, target: string): OverloadedError {
  return new OverloadedError({
    node: nodeId,
    target,
    reason: `node overloaded (load ${load.score.toFixed(2)})`,
    load: load.score,
    retryAfterMs: load.retryAfterMs,
  });
}
