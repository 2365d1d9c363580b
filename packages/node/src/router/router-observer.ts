/**
 * What the request handler tells the node about its work: optional hooks for metrics and logs, bound once
 * (missing hooks become shared no-ops when the handler is built, so the hot path never checks for them), and
 * plain counters that tests and `/metrics` can read at any time.
 */
import type { DecodeError, EnvelopeKind, LucentError } from '@lucent/core/internal';

/**
 * Hooks of one request handler. Every hook is optional. Hooks run inline on the hot path, so keep them cheap
 * (counters, log calls); one that throws is ignored (it must not break a reply or reject a promise nobody
 * awaits). `kind` is the request's {@link EnvelopeKind}; `target` its envelope target.
 */
export interface RouterObserver {
  /** A request was sent on to `node`, the key's owner in this node's view. */
  forwarded?(kind: EnvelopeKind, target: string, node: string): void;
  /**
   * This node finished a request it served itself: `code` is `''` on success or the error's code, also for
   * requests refused before running (expired, unknown function, hop limit). `durationMs` is 0 for those.
   * `correlationId` is the request's envelope id (`''` for an event handler run); `traceId` the W3C trace id of
   * the request's span (`''` when the request is not traced), for log lines.
   */
  completed?(
    kind: EnvelopeKind,
    target: string,
    durationMs: number,
    code: string,
    correlationId: string,
    traceId: string,
  ): void;
  /**
   * One-way work failed and nobody can be told (a tell, an event handler, a `Completed` publish, a forward of
   * a one-way message): the hook is the only trace, so log it.
   */
  dropped?(kind: EnvelopeKind, target: string, error: LucentError): void;
  /** A frame did not decode; `replied` is true when the sender got a `DecodeError` answer. */
  decodeFailed?(error: DecodeError, replied: boolean): void;
  /** An event of `type` reached this node; `handlers` is how many local handlers it was dispatched to. */
  eventReceived?(type: string, handlers: number): void;
  /**
   * A call is run again: here, after the owner it was forwarded to turned out gone (`reason` `'node_unavailable'`).
   * Rare: called per occurrence.
   */
  retried?(target: string, reason: string): void;
}

/** A {@link RouterObserver} with every hook present. */
export type BoundRouterObserver = Required<RouterObserver>;

const noop = (): void => {};

/**
 * Fills missing hooks with a shared no-op and wraps present ones so a throw is swallowed, once per handler
 * (not per message). The result keeps one shape whatever was given.
 */
export function bindRouterObserver(observer: RouterObserver = {}): BoundRouterObserver {
  // One explicit wrapper per hook (no rest parameters): no array per call on the hot path.
  const { forwarded, completed, dropped, decodeFailed, eventReceived, retried } = observer;
  return {
    forwarded:
      forwarded === undefined
        ? noop
        : (kind, target, node) => {
            try {
              forwarded.call(observer, kind, target, node);
            } catch {
              // A metrics or logging hook must not take a request down with it.
            }
          },
    completed:
      completed === undefined
        ? noop
        : (kind, target, durationMs, code, correlationId, traceId) => {
            try {
              completed.call(observer, kind, target, durationMs, code, correlationId, traceId);
            } catch {}
          },
    dropped:
      dropped === undefined
        ? noop
        : (kind, target, error) => {
            try {
              dropped.call(observer, kind, target, error);
            } catch {}
          },
    decodeFailed:
      decodeFailed === undefined
        ? noop
        : (error, replied) => {
            try {
              decodeFailed.call(observer, error, replied);
            } catch {}
          },
    eventReceived:
      eventReceived === undefined
        ? noop
        : (type, handlers) => {
            try {
              eventReceived.call(observer, type, handlers);
            } catch {}
          },
    retried:
      retried === undefined
        ? noop
        : (target, reason) => {
            try {
              retried.call(observer, target, reason);
            } catch {}
          },
  };
}

/** Counters of one request handler since it was created. Monotonic plain integers. */
export interface RouterStats {
  /** Frames handed to the handler. */
  readonly received: number;
  /** Frames that did not decode. */
  readonly decodeErrors: number;
  /** Messages sent on to another node (each hop of each message counts once, on the node that forwarded). */
  readonly forwarded: number;
  /** Frames that came on this node's placed subject under its own placement tag (served without re-placing). */
  readonly placedHere: number;
  /** Requests served here that ended in success. */
  readonly succeeded: number;
  /** Requests served or refused here that ended in an error (answered or dropped). */
  readonly failed: number;
  /** Event handler runs started here. */
  readonly eventRuns: number;
  /** `Completed` events published. */
  readonly completedEvents: number;
}

/** The mutable form the handler updates; every field initialised, one shape. */
export class MutableRouterStats implements RouterStats {
  received = 0;
  decodeErrors = 0;
  forwarded = 0;
  placedHere = 0;
  succeeded = 0;
  failed = 0;
  eventRuns = 0;
  completedEvents = 0;
}
