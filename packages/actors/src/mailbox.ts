/**
 * An actor's mailbox: a {@link RingQueue} with one item per message, plus the capacity rule of a bounded
 * mailbox. A told message is stored as is (a `tell` allocates nothing); an asked one is stored as its
 * {@link PendingAsk}, which carries the message, so taking an item tells the two apart with one `instanceof`.
 *
 * ```
 *  ring: [ msg0 , PendingAsk{message: msg1} , msg2 , … ]
 * ```
 */
import { ConfigError } from '@lucent/core/internal';
import { PendingAsk } from './pending-ask.js';
import { RingQueue } from './ring-queue.js';
import type { DeadLetter, MailboxOptions } from './types.js';

/** Why a message did not make it into (or was pushed out of) a mailbox. */
export type UndeliveredReason = Extract<DeadLetter['reason'], 'mailbox-full' | 'dropped-oldest' | 'dropped-newest'>;

/** Receives the messages a bounded mailbox turns away; the actor cell dead-letters them and fails their asks. */
export interface OverflowSink {
  undelivered(message: unknown, ask: PendingAsk | undefined, reason: UndeliveredReason): void;
}

const REJECT = 0;
const DROP_NEWEST = 1;
const DROP_OLDEST = 2;

/** Stands for "unbounded": the largest small integer, more messages than a heap can hold. */
const UNBOUNDED_LIMIT = 0x3fff_ffff;

/** The default mailbox: unbounded. */
export const UNBOUNDED: MailboxOptions = { kind: 'unbounded' };

/** FIFO of pending messages; one per actor. */
export class Mailbox {
  private readonly ring: RingQueue<unknown>;
  private readonly overflow: number;
  /** The ask of the message last returned by {@link takeMessage}. */
  private lastAsk: PendingAsk | undefined = undefined;
  /**
   * The bound, as a small integer even when unbounded ({@link UNBOUNDED_LIMIT}), so the check is one comparison
   * and the field holds no boxed double (`Infinity` would cost a heap number per mailbox).
   */
  private readonly limit: number;

  /** Throws `ConfigError` (naming `subject`) unless a bounded capacity is an integer >= 1. */
  constructor(
    options: MailboxOptions,
    private readonly sink: OverflowSink,
    subject: string,
  ) {
    if (options.kind === 'bounded') {
      if (!Number.isInteger(options.capacity) || options.capacity < 1) {
        throw new ConfigError({ subject, field: 'mailbox.capacity', reason: 'must be an integer >= 1' });
      }
      this.limit = Math.min(options.capacity, UNBOUNDED_LIMIT);
      this.overflow =
        options.overflow === 'drop-newest' ? DROP_NEWEST : options.overflow === 'drop-oldest' ? DROP_OLDEST : REJECT;
      this.ring = new RingQueue(Math.min(options.capacity, 8));
    } else {
      this.limit = UNBOUNDED_LIMIT;
      this.overflow = REJECT;
      // Two slots: an idle actor is the common case; the ring doubles on demand.
      this.ring = new RingQueue(2);
    }
  }

  /** The bound of a bounded mailbox; `Infinity` when unbounded. */
  get capacity(): number {
    return this.limit === UNBOUNDED_LIMIT ? Number.POSITIVE_INFINITY : this.limit;
  }

  /** Messages waiting. */
  get size(): number {
    return this.ring.length;
  }

  /**
   * Appends the message (with its ask, if any). Returns true when it was enqueued. When a bounded mailbox is
   * full, the overflow policy applies and the loser goes to the sink: `reject` and `drop-newest` turn this
   * message away (false); `drop-oldest` evicts the head and enqueues this one (true).
   */
  enqueue(message: unknown, ask: PendingAsk | undefined): boolean {
    if (this.ring.length >= this.limit) {
      if (this.overflow === DROP_OLDEST) {
        const oldMessage = this.takeMessage();
        this.sink.undelivered(oldMessage, this.takeAsk(), 'dropped-oldest');
      } else {
        this.sink.undelivered(message, ask, this.overflow === DROP_NEWEST ? 'dropped-newest' : 'mailbox-full');
        return false;
      }
    }
    if (ask === undefined) {
      this.ring.push(message);
    } else {
      ask.message = message;
      this.ring.push(ask);
    }
    return true;
  }

  /** Removes and returns the head message; call {@link takeAsk} right after for its ask. Only when `size > 0`. */
  takeMessage(): unknown {
    const item = this.ring.shift();
    if (item instanceof PendingAsk) {
      this.lastAsk = item;
      const message = item.message;
      item.message = undefined; // the ask may outlive the message (until it settles): do not retain it
      return message;
    }
    this.lastAsk = undefined;
    return item;
  }

  /** The ask of the message just taken by {@link takeMessage}, or undefined for a tell. */
  takeAsk(): PendingAsk | undefined {
    const ask = this.lastAsk;
    this.lastAsk = undefined;
    return ask;
  }
}
