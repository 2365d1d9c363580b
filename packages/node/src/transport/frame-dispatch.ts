/**
 * Receiving side of a framed transport: per-subscription dispatch of decoded frames to handlers, repliers, and
 * matching of replies to pending requests. Objects, not closures, so nothing is allocated per message except a
 * replier per request.
 */
import { DecodeError, type LucentError, NodeUnavailableError, toLucentError } from '@lucent/core/internal';
import { FrameKind, type FrameVisitor } from './frames.js';
import { destinationOfReplyTo } from './outbound-queue.js';
import type { PendingRequests } from './pending-requests.js';
import type {
  FrameHandler,
  Replier,
  TransportErrorListener,
  TransportStats,
  TransportSubscription,
} from './transport.js';

/** Receives whole wire messages from a connection-level subscription. */
export interface MessageInbox {
  /** `subject` is the message's own subject when the inbox {@link wantsSubject} (a connection may omit it else). */
  onMessage(data: Uint8Array, replyTo: string | undefined, subject?: string): void;
  /** True when `onMessage` needs each message's subject (decoding it costs NATS connections ~50 ns a message). */
  readonly wantsSubject?: boolean;
  /**
   * The connection reports that a message published with reply subject `replyTo` found no subscriber (NATS
   * status 503). Only reply subscriptions get these.
   */
  onNoResponders?(replyTo: string): void;
}

/** A connection-level subscription. */
export interface ConnectionSubscription {
  unsubscribe(): void;
}

/** `NodeUnavailableError.reason` of requests whose destination had no subscriber. */
export const NO_RESPONDERS_REASON = 'no subscriber for this subject';

/** The counters behind `Transport.stats`. */
export class MutableStats implements TransportStats {
  messagesOut = 0;
  framesOut = 0;
  messagesIn = 0;
  framesIn = 0;
  decodeErrors = 0;
  unmatchedReplies = 0;
  timeouts = 0;
  noResponders = 0;
}

/** What dispatchers and repliers may do to their transport; kept off the transport's public surface. */
export interface DispatchHost {
  readonly replySubject: string;
  /** Queues a reply frame. Never throws: problems go to the error listeners. */
  enqueueReply(replyTo: string, id: number, frame: Uint8Array): void;
  /** Decodes one received message into `visitor`; a malformed one is counted and reported. */
  readMessage(
    data: Uint8Array,
    visitor: FrameVisitor,
    subject: string,
    onError: TransportErrorListener | undefined,
  ): void;
  /** Sends `error` to the subscription's listener, else to the transport's listeners. */
  reportError(error: LucentError, subject: string, onError: TransportErrorListener | undefined): void;
  /** Drops a subscription that was unsubscribed. */
  forget(subscription: SubscriptionDispatcher): void;
}

/** Answers one request; an object per request instead of a closure. */
export class FrameReplier implements Replier {
  #replied = false;
  constructor(
    readonly host: DispatchHost,
    readonly replyTo: string,
    readonly id: number,
  ) {}

  reply(frame: Uint8Array): boolean {
    if (this.#replied) return false;
    this.#replied = true;
    this.host.enqueueReply(this.replyTo, this.id, frame);
    return true;
  }
}

/** Dispatches the frames of one subscription to its handler. */
export class SubscriptionDispatcher implements MessageInbox, FrameVisitor, TransportSubscription {
  active = true;
  connection: ConnectionSubscription | undefined = undefined;
  /** Reply subject of the message being read; all its frames share it. */
  #replyTo: string | undefined = undefined;
  /** Subject of the message being read, when {@link wantsSubject}. */
  #messageSubject: string | undefined = undefined;

  constructor(
    readonly host: DispatchHost,
    readonly subject: string,
    readonly handler: FrameHandler,
    readonly onError: TransportErrorListener | undefined,
    /** Hands each frame's message subject to the handler (`SubscribeOptions.withSubject`). */
    readonly wantsSubject = false,
  ) {}

  onMessage(data: Uint8Array, replyTo: string | undefined, subject?: string): void {
    if (!this.active) return;
    this.#replyTo = replyTo;
    this.#messageSubject = this.wantsSubject ? subject : undefined;
    this.host.readMessage(data, this, this.subject, this.onError);
  }

  onFrame(kind: FrameKind, id: number, payload: Uint8Array): void {
    if (!this.active) return;
    let replier: Replier | undefined;
    if (kind === FrameKind.Request) {
      const replyTo = this.#replyTo;
      if (replyTo === undefined) {
        this.#misplaced(payload, 'request frame in a message without a reply subject');
        return;
      }
      replier = new FrameReplier(this.host, replyTo, id);
    } else if (kind === FrameKind.Reply) {
      this.#misplaced(payload, 'reply frame on a subscription subject');
      return;
    }
    try {
      this.handler(payload, replier, this.#messageSubject);
    } catch (thrown) {
      this.host.reportError(toLucentError(thrown, this.subject), this.subject, this.onError);
    }
  }

  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    this.connection?.unsubscribe();
    this.host.forget(this);
  }

  #misplaced(payload: Uint8Array, reason: string): void {
    const error = new DecodeError({ reason, byteLength: payload.byteLength });
    this.host.reportError(error, this.subject, this.onError);
  }
}

/** Matches replies on the connection's reply subjects to pending requests. */
export class ReplyDispatcher implements MessageInbox, FrameVisitor {
  constructor(
    readonly host: DispatchHost,
    readonly pending: PendingRequests,
    readonly stats: MutableStats,
  ) {}

  onMessage(data: Uint8Array): void {
    this.host.readMessage(data, this, this.host.replySubject, undefined);
  }

  /**
   * Nobody subscribes the destination named in `replyTo`: its pending requests fail now with
   * `NodeUnavailableError` instead of waiting for their deadline (callers that know what the subject stands
   * for, e.g. a function's queue group, turn it into their own error).
   */
  onNoResponders(replyTo: string): void {
    const destination = destinationOfReplyTo(this.host.replySubject, replyTo);
    if (destination === undefined) return;
    this.stats.noResponders++;
    this.pending.rejectTarget(
      destination,
      () => new NodeUnavailableError({ node: destination, reason: NO_RESPONDERS_REASON }),
    );
  }

  onFrame(kind: FrameKind, id: number, payload: Uint8Array): void {
    if (kind === FrameKind.Reply) {
      if (!this.pending.resolve(id, payload)) this.stats.unmatchedReplies++;
      return;
    }
    const error = new DecodeError({ reason: `frame kind ${kind} on a reply subject`, byteLength: payload.byteLength });
    this.host.reportError(error, this.host.replySubject, undefined);
  }
}
