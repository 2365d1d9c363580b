/**
 * How a node logs its connection's ups and downs: levels that mean something, one line per event a person
 * cares about rather than one per reconnect attempt.
 *
 * ```
 *  disconnected ─► warn  nats.disconnected  { server }
 *  reconnecting ─► debug nats.reconnecting  { attempt }            (1, 2, 3, … per outage)
 *  reconnected  ─► info  nats.reconnected   { server, attempts, outageMs }
 *  error        ─► warn  nats.error         { message }
 *  closed       ─► info  nats.closed
 * ```
 */
import type { Clock } from '@lucent/core/internal';
import type { Logger } from '../logging.js';
import type { TransportStatusEvent, TransportStatusListener } from './transport.js';

/** A status listener that logs as in the module doc. Outage time is measured on `clock` (monotonic). */
export function connectionStatusLogger(logger: Logger, clock: Clock): TransportStatusListener {
  let downSince: number | undefined;
  let attempts = 0;
  return (event: TransportStatusEvent): void => {
    switch (event.type) {
      case 'disconnected':
        if (downSince === undefined) {
          downSince = clock.now();
          attempts = 0;
          logger.warn({ server: event.server }, 'nats.disconnected');
        }
        return;
      case 'reconnecting':
        attempts = Math.max(attempts + 1, event.attempt);
        logger.debug({ attempt: attempts }, 'nats.reconnecting');
        return;
      case 'reconnected': {
        const outageMs = downSince === undefined ? 0 : Math.round(clock.now() - downSince);
        logger.info({ server: event.server, attempts, outageMs }, 'nats.reconnected');
        downSince = undefined;
        attempts = 0;
        return;
      }
      case 'error':
        logger.warn({ message: event.message }, 'nats.error');
        return;
      case 'closed':
        logger.info('nats.closed');
        return;
    }
  };
}
