/**
 * Events on a node: every function that handles the event's type runs once in the cluster, on the owner of its
 * shard key (keyed handlers) or on the node that received the event (unkeyed ones), and each successful run
 * publishes `${function}Completed` with the result as payload. At most once: one-way all along, nothing is
 * retried, failures reach only the observer's `dropped` hook.
 *
 * Targets of event envelopes (the wire convention):
 * ```
 *  'OrderPlaced'           a fresh event: run or forward EVERY handler of the type
 *  'OrderPlaced/price'     one handler, forwarded by the node that first received the event to the owner of
 *                          the handler's key: run (or forward again, hop-limited) only `price`
 * ```
 * So a keyed handler's forward never re-runs the other handlers of the event.
 */

import type { SubjectCache } from '@lucent/core/internal';
import {
  type Clock,
  checkInput,
  completedEventType,
  type Envelope,
  type EnvelopeCodec,
  EnvelopeKind,
  eventEnvelope,
  type FunctionDefinition,
  type FunctionRegistry,
  HopLimitError,
  isRemote,
  placeFunction,
  toLucentError,
  UnknownFunctionError,
  type ViewSource,
} from '@lucent/core/internal';
import { endSpan, endWhenSettled, startEventRunSpan, traceIdOf, traceparentOf } from '../tracing/lucent-spans.js';
import type { Transport } from '../transport/transport.js';
import type { FunctionRunner, RunOptions } from './function-runner.js';
import type { InFlight } from './in-flight.js';
import type { BoundRouterObserver, MutableRouterStats } from './router-observer.js';

/** What the dispatcher shares with its request handler. */
export interface EventDispatcherContext {
  readonly nodeId: string;
  readonly codec: EnvelopeCodec;
  readonly transport: Transport;
  readonly functions: FunctionRegistry;
  readonly runner: FunctionRunner;
  readonly view: ViewSource | undefined;
  readonly hopLimit: number;
  readonly subjects: SubjectCache;
  readonly observer: BoundRouterObserver;
  readonly stats: MutableRouterStats;
  readonly inFlight: InFlight;
  /** Times runs for the observer (its monotonic `now()`). */
  readonly clock: Clock;
}

// The result event types live in core (clients type their subscriptions with them); re-exported for old imports.
export { completedEventType, failedEventType } from '@lucent/core/internal';

const NO_RUN_OPTIONS: RunOptions = Object.freeze({});

/** Runs and forwards event handlers for one request handler. Not for direct use. */
export class EventDispatcher {
  readonly #ctx: EventDispatcherContext;
  /** Function name -> its `Completed` type, built once. */
  readonly #completedTypes = new Map<string, string>();

  constructor(context: EventDispatcherContext) {
    this.#ctx = context;
  }

  /**
   * Starts the handlers `event` asks for (see the module doc). Never throws: a handler that cannot be placed,
   * run or forwarded is reported to `dropped` and does not stop the others. Returns before they finish.
   */
  dispatch(event: Envelope): void {
    const target = event.target;
    const slash = target.indexOf('/');
    if (slash < 0) {
      const handlers = this.#ctx.functions.handlersOf(target);
      this.#ctx.observer.eventReceived(target, handlers.length);
      for (let i = 0; i < handlers.length; i++) this.#dispatchTo(event, target, handlers[i]!);
      return;
    }
    const type = target.slice(0, slash);
    const name = target.slice(slash + 1);
    const definition = this.#ctx.functions.find(name);
    if (definition === undefined || !definition.handles.includes(type)) {
      this.#ctx.observer.eventReceived(type, 0);
      this.#drop(event, target, new UnknownFunctionError({ name }));
      return;
    }
    this.#ctx.observer.eventReceived(type, 1);
    this.#dispatchTo(event, type, definition);
  }

  #dispatchTo(event: Envelope, type: string, definition: FunctionDefinition): void {
    const ctx = this.#ctx;
    try {
      // A conditional trigger (`when`) is decided by the node that took the event: no forward, no run.
      if (definition.when !== undefined && !definition.when(event.payload, type)) return;
      const placement = placeFunction(definition, event.payload, ctx.view?.current());
      if (!isRemote(placement, ctx.nodeId)) {
        void this.#run(event, definition);
        return;
      }
      const target = `${type}/${definition.name}`;
      if (event.hops >= ctx.hopLimit) throw new HopLimitError({ target, hops: event.hops });
      ctx.transport.send(ctx.subjects.node(placement.node), ctx.codec.encode(retargeted(event, target)));
      ctx.stats.forwarded++;
      ctx.observer.forwarded(EnvelopeKind.Event, target, placement.node);
    } catch (error) {
      this.#drop(event, definition.name, error);
    }
  }

  async #run(event: Envelope, definition: FunctionDefinition): Promise<void> {
    const ctx = this.#ctx;
    ctx.stats.eventRuns++;
    ctx.inFlight.begin();
    const started = ctx.clock.now();
    // The run's span is a child of the event's trace; `Completed` carries the run's traceparent on.
    const span = startEventRunSpan(event, definition.name, ctx.nodeId);
    // Read while the span records (an ended span no longer does, and would pass the event's value on instead).
    const traceparent = traceparentOf(span, event.traceparent);
    let result: unknown;
    try {
      const options = event.deadline === 0 ? NO_RUN_OPTIONS : { deadline: event.deadline };
      // An input schema applies to event data as to call input: the handler gets the schema's output.
      const input =
        definition.input === undefined
          ? event.payload
          : await checkInput(definition.name, definition.input, event.payload);
      // By id: the exact version `handlersOf` chose, even if another becomes active meanwhile.
      result = await endWhenSettled(span, ctx.runner.call(definition.id, input, options));
      const type = this.#completedType(definition.name);
      const completed = eventEnvelope(type, result, { origin: ctx.nodeId, traceparent });
      ctx.transport.send(ctx.subjects.event(type), ctx.codec.encode(completed));
    } catch (error) {
      // A span still recording failed before its run (the input schema); an ended one (the run's end) is left alone.
      if (span.isRecording()) endSpan(span, error);
      this.#drop(event, definition.name, error);
      ctx.inFlight.end();
      return;
    }
    ctx.stats.completedEvents++;
    ctx.stats.succeeded++;
    ctx.observer.completed(EnvelopeKind.Event, definition.name, ctx.clock.now() - started, '', '', traceIdOf(span));
    ctx.inFlight.end();
  }

  #completedType(name: string): string {
    let type = this.#completedTypes.get(name);
    if (type === undefined) {
      type = completedEventType(name);
      this.#completedTypes.set(name, type);
    }
    return type;
  }

  #drop(event: Envelope, target: string, thrown: unknown): void {
    this.#ctx.stats.failed++;
    this.#ctx.observer.dropped(event.kind, target, toLucentError(thrown, target));
  }
}

/** A copy of `event` for one handler: `target` replaced, one more hop. Field order as in every envelope. */
function retargeted(event: Envelope, target: string): Envelope {
  return {
    kind: event.kind,
    id: event.id,
    target,
    correlationId: event.correlationId,
    deadline: event.deadline,
    hops: event.hops + 1,
    traceparent: event.traceparent,
    origin: event.origin,
    causationId: event.causationId,
    metadata: event.metadata,
    payload: event.payload,
  };
}
