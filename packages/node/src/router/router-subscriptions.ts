/**
 * Where a node listens for work, in one place, so the node shell, the test cluster and the docs agree:
 *
 * ```
 *  lucent.<C>.node.<id>          direct: keyed calls, actor tells/asks, forwards, per-handler events
 *  lucent.<C>.node.<id>.<tag>    placed: `hash` calls a client placed under placement tag <tag> (one `*` subscription)
 *  lucent.<C>.fn.<name>          queue group `lucent-fn`: unkeyed calls (and keyed ones from view-less clients)
 *  lucent.<C>.events.<type>      queue group `lucent-events`: only with `coreEvents` (at most once)
 * ```
 * Events are durable by default: they reach nodes through JetStream consumers (`events/`), not these
 * subscriptions. `coreEvents: true` keeps the old core-NATS queue group (one node per event, at most once) for
 * a router used without an event log.
 */
import type { FunctionRegistry } from '@lucent/core/internal';
import { allPlacedNodeSubject, SubjectCache } from '@lucent/core/internal';
import type {
  FrameHandler,
  SubscribeOptions,
  Transport,
  TransportErrorListener,
  TransportSubscription,
} from '../transport/transport.js';

/** Queue group of the function subjects: every node serving a function is one member, one of them gets each call. */
export const FUNCTION_QUEUE_GROUP = 'lucent-fn';
/** Queue group of the event subjects: one node of the cluster gets each fresh event. */
export const EVENT_QUEUE_GROUP = 'lucent-events';

/** One subscription a node needs. */
export interface RouterSubscriptionSpec {
  readonly subject: string;
  /** Queue group, or `undefined` for the node's direct subjects. */
  readonly queue: string | undefined;
  /** True for the placed subjects (`node.<id>.*`): served by `handlePlaced`, which reads each message's subject. */
  readonly placed: boolean;
}

/** The two frame handlers of a request handler (`RoutingRequestHandler`). */
export interface RouterFrameHandlers {
  readonly handle: FrameHandler;
  readonly handlePlaced: FrameHandler;
}

/** Options of {@link routerSubscriptions} and {@link subscribeRequestHandler}. */
export interface RouterSubscriptionOptions {
  /** Cluster name (default `lucent`). */
  readonly cluster?: string;
  readonly nodeId: string;
  /** The node's functions: one function subject per registered name, one event subject per handled type. */
  readonly functions: FunctionRegistry;
  /** Subscribe event types on core NATS (at most once) instead of leaving them to durable consumers. Default false. */
  readonly coreEvents?: boolean;
  /** Errors of these subscriptions (malformed wire messages); default: the transport's `onError` listeners. */
  readonly onError?: TransportErrorListener;
}

/**
 * The subjects a node serving `functions` subscribes, in a stable order (direct first, then functions and
 * event types sorted by name). Pure. Throws `ConfigError` for a cluster or node id that is not a subject token.
 * Disabled functions are included: a call to one is answered `FunctionDisabledError` rather than left to time out.
 */
export function routerSubscriptions(options: RouterSubscriptionOptions): RouterSubscriptionSpec[] {
  const subjects = new SubjectCache(options.cluster);
  const specs: RouterSubscriptionSpec[] = [
    { subject: subjects.node(options.nodeId), queue: undefined, placed: false },
    { subject: allPlacedNodeSubject(subjects.cluster, options.nodeId), queue: undefined, placed: true },
  ];
  const names = new Set<string>();
  const types = new Set<string>();
  for (const definition of options.functions.list()) {
    names.add(definition.name);
    for (const type of definition.handles) types.add(type);
  }
  for (const name of [...names].sort())
    specs.push({ subject: subjects.function(name), queue: FUNCTION_QUEUE_GROUP, placed: false });
  if (options.coreEvents !== true) return specs;
  for (const type of [...types].sort())
    specs.push({ subject: subjects.event(type), queue: EVENT_QUEUE_GROUP, placed: false });
  return specs;
}

/**
 * Subscribes a request handler's frame handlers on every subject of {@link routerSubscriptions}. All or
 * nothing: if a subscribe throws (`ShuttingDownError`), those made so far are undone and the error rethrown.
 * Call again (after unsubscribing) when the registry changes.
 */
export function subscribeRequestHandler(
  transport: Transport,
  handlers: RouterFrameHandlers,
  options: RouterSubscriptionOptions,
): TransportSubscription[] {
  const made: TransportSubscription[] = [];
  try {
    for (const spec of routerSubscriptions(options)) {
      const handler = spec.placed ? handlers.handlePlaced : handlers.handle;
      made.push(transport.subscribe(spec.subject, handler, subscribeOptions(spec, options.onError)));
    }
  } catch (error) {
    for (const subscription of made) subscription.unsubscribe();
    throw error;
  }
  return made;
}

function subscribeOptions(spec: RouterSubscriptionSpec, onError: TransportErrorListener | undefined): SubscribeOptions {
  return {
    ...(spec.queue === undefined ? {} : { queue: spec.queue }),
    ...(onError === undefined ? {} : { onError }),
    ...(spec.placed ? { withSubject: true } : {}),
  };
}
