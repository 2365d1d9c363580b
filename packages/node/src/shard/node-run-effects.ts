/**
 * Builds a node's {@link RunEffects}: its functions' log records go to the node's logger, and their events to the
 * cluster's event log, opened (streams created if missing) on the first event, not at start: a node whose
 * functions never emit needs no JetStream for it.
 */
import type { EventLog } from '../events/event-log.js';
import { eventLogFor } from '../events/event-log-for.js';
import { EventPublisher } from '../events/event-publisher.js';
import { RunEffects } from '../router/run-effects.js';
import type { ShardContext } from './shard-context.js';

/** The run effects of the node of `context`; the publisher is returned too (its counters, `idle()`). */
export function nodeRunEffects(context: ShardContext): { effects: RunEffects; publisher: EventPublisher } {
  let opened: Promise<EventLog> | undefined;
  const eventLog = (): Promise<EventLog> => {
    opened ??= eventLogFor(context.transport, {
      cluster: context.cluster,
      replicas: context.config.natsReplicas,
      duplicateWindowMs: context.config.eventDuplicateWindowMs,
      clock: context.clock,
    }).then(async (log) => {
      await log.ensureStreams();
      return log;
    });
    // A failed open is tried again on the next event.
    opened.catch(() => {
      opened = undefined;
    });
    return opened;
  };
  const publisher = new EventPublisher({
    cluster: context.cluster,
    codec: context.codec,
    clock: context.clock,
    logger: context.logger,
    eventLog,
    registry: context.metrics.registry,
  });
  return { effects: new RunEffects(context.logger, publisher, context.nodeId), publisher };
}
