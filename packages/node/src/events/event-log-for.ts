/**
 * Which {@link EventLog} a transport's cluster uses: JetStream on the NATS connection, or the in-memory twin
 * shared by everything on the same in-memory bus. One log per transport (and cluster), opened on first use.
 */
import { type Clock, ConfigError } from '@lucent/core/internal';
import { InMemoryTransport } from '../transport/in-memory-transport.js';
import { NatsTransport } from '../transport/nats-transport.js';
import { oneOpenPer } from '../transport/one-per-transport.js';
import type { Transport } from '../transport/transport.js';
import type { EventLog } from './event-log.js';
import { JetStreamEventLog } from './jetstream-event-log.js';
import { memoryEventLogFor } from './memory-event-log.js';

/** Settings of the event log (streams are created with them when missing). */
export interface EventLogOptions {
  readonly cluster: string;
  /** Stream replicas (JetStream); default 1. */
  readonly replicas?: number;
  /** Duplicate window of `Nats-Msg-Id`; default 120 000 ms. */
  readonly duplicateWindowMs?: number;
  /** Timers of the in-memory log; default `systemClock`. */
  readonly clock?: Clock;
}

const opened = new WeakMap<Transport, Map<string, Promise<EventLog>>>();

/**
 * The event log of `options.cluster` reached through `transport`, opened once per transport and cluster (later
 * calls get the same promise, whatever their options). Rejects with `NodeUnavailableError` when NATS has no
 * JetStream, `ConfigError` for a transport that is neither NATS nor in-memory.
 */
export function eventLogFor(transport: Transport, options: EventLogOptions): Promise<EventLog> {
  return oneOpenPer(opened, transport, options.cluster, () => open(transport, options));
}

async function open(transport: Transport, options: EventLogOptions): Promise<EventLog> {
  if (transport instanceof NatsTransport) {
    return JetStreamEventLog.open(transport.natsConnection, {
      cluster: options.cluster,
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
      ...(options.duplicateWindowMs === undefined ? {} : { duplicateWindowMs: options.duplicateWindowMs }),
    });
  }
  if (transport instanceof InMemoryTransport) return memoryEventLogFor(transport.bus, options.cluster, options.clock);
  throw new ConfigError({
    subject: 'events',
    field: 'transport',
    reason: 'durable events need a NatsTransport or an InMemoryTransport',
  });
}
