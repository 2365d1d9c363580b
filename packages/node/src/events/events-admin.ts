/**
 * The client's administration of durable events: dead letters (list, replay, purge) and the cluster's durable
 * consumers (list, remove). The `lucent` CLI's `events` commands are meant to call these.
 *
 * ```ts
 * const letters = await client.events.deadLetters.list();
 * await client.events.deadLetters.replay(letters[0].id);   // back to that one handler, then removed
 * await client.events.deadLetters.purge();
 * await client.events.removeConsumer('oldHandler--OrderPlaced');
 * ```
 */
import { ConfigError, type EnvelopeCodec, eventSubject } from '@lucent/core/internal';
import { type DeadLetter, decodeDeadLetter, toDeadLetter } from './dead-letter.js';
import type { EventLog } from './event-log.js';

/** Default {@link DeadLetterListOptions.limit}. */
export const DEFAULT_DEAD_LETTER_LIST_LIMIT = 1000;

/** Options of {@link DeadLetters.list}. */
export interface DeadLetterListOptions {
  /** Most records returned, oldest first. Default 1000. */
  readonly limit?: number;
  /** Only the dead letters of this consumer (`<fn>--<type>`). */
  readonly consumer?: string;
}

/** The dead-letter stream of a cluster. */
export class DeadLetters {
  readonly #log: () => Promise<EventLog>;
  readonly #codec: EnvelopeCodec;
  readonly #cluster: string;

  /** Not for direct use: `client.events.deadLetters`. */
  constructor(log: () => Promise<EventLog>, codec: EnvelopeCodec, cluster: string) {
    this.#log = log;
    this.#codec = codec;
    this.#cluster = cluster;
  }

  /**
   * The stored dead letters, oldest first: the error, the attempts and the original event (decoded). Records
   * that do not decode are skipped. Rejects with `NodeUnavailableError` / `TimeoutError` when JetStream does not
   * answer.
   */
  async list(options: DeadLetterListOptions = {}): Promise<DeadLetter[]> {
    const stored = await (await this.#log()).deadLetters(options.limit ?? DEFAULT_DEAD_LETTER_LIST_LIMIT);
    const out: DeadLetter[] = [];
    for (const entry of stored) {
      try {
        const letter = toDeadLetter(entry.sequence, decodeDeadLetter(entry.data), this.#codec);
        if (options.consumer === undefined || letter.consumer === options.consumer) out.push(letter);
      } catch {
        // Not a record of ours: skipped.
      }
    }
    return out;
  }

  /**
   * Publishes dead letter `id`'s original event again, for its one handler only (other handlers of the type
   * skip it), then deletes the dead letter. Resolves once the event is stored. At least once: a replay
   * interrupted between the two steps may deliver the event again on the next replay. Rejects with
   * `ConfigError` (field `id`) when there is no such dead letter.
   */
  async replay(id: number): Promise<void> {
    const log = await this.#log();
    const stored = await log.deadLetter(id);
    if (stored === undefined) {
      throw new ConfigError({ subject: 'dead letters', field: 'id', reason: `no dead letter ${id}` });
    }
    const record = decodeDeadLetter(stored.data);
    await log.publish(eventSubject(this.#cluster, record.eventType), record.original, {
      msgId: `replay:${record.consumer}:${record.streamSequence}:${id}`,
      handler: record.functionName,
    });
    await log.deleteDeadLetter(id);
  }

  /** Deletes every dead letter; resolves with how many there were. */
  async purge(): Promise<number> {
    return (await this.#log()).purgeDeadLetters();
  }
}

/** `client.events`: see the module doc. */
export class EventsAdmin {
  readonly deadLetters: DeadLetters;
  readonly #log: () => Promise<EventLog>;

  /** Not for direct use: `client.events`. */
  constructor(log: () => Promise<EventLog>, codec: EnvelopeCodec, cluster: string) {
    this.#log = log;
    this.deadLetters = new DeadLetters(log, codec, cluster);
  }

  /** Names of the durable event consumers (`<fn>--<type>`), sorted. */
  async consumers(): Promise<string[]> {
    return (await this.#log()).consumerNames();
  }

  /**
   * Deletes durable consumer `name` and what it had not delivered yet. Nodes never remove consumers themselves:
   * a handler removed from every node leaves its consumer until this is called. A node that still serves it
   * creates it again at its next start. Resolves `false` when there was none.
   */
  async removeConsumer(name: string): Promise<boolean> {
    return (await this.#log()).removeConsumer(name);
  }
}
