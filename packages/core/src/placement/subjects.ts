/**
 * Subject names (design.md "Subjects and buckets"). Every subject Lucent uses is built here, so the naming
 * scheme is one file:
 *
 * ```
 * lucent.<cluster>.node.<id>        direct to one node
 * lucent.<cluster>.fn.<name>        queue group for unkeyed, load-balanced calls
 * lucent.<cluster>.metrics.<id>     load reports
 * lucent.<cluster>.events.<type>    durable events (JetStream)
 * lucent.<cluster>.dlq.<consumer>   dead letters of one event consumer (JetStream)
 * lucent.<cluster>.reply.<conn>     one reply subject per connection
 * lucent.<cluster>.membership       heartbeats, leaves and probes
 * lucent.<cluster>.registry.stats   deployed versions' call counters, every node answers (lucent functions)
 * ```
 * Pure string functions (connection ids, which need randomness, are made in `@lucent/node`).
 */
import { ConfigError } from '../errors.js';
import { eventTypeName } from './event-type-name.js';

/** Default cluster name. */
export const DEFAULT_CLUSTER = 'lucent';

const PREFIX = 'lucent';
// One NATS token: no separators, wildcards or whitespace. Dots are allowed only in function and event names,
// which may be hierarchical (`orders.place`).
const TOKEN = /^[A-Za-z0-9_-]+$/;
const DOTTED = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function check(value: string, pattern: RegExp, field: string): string {
  if (!pattern.test(value)) {
    throw new ConfigError({
      subject: 'subject name',
      field,
      reason: `'${value}' must match ${pattern.source}`,
    });
  }
  return value;
}

/** `lucent.<cluster>.node.<id>`. Throws `ConfigError` for a cluster or id that is not one subject token. */
export function nodeSubject(cluster: string, nodeId: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.node.${check(nodeId, TOKEN, 'node id')}`;
}

/**
 * `lucent.<cluster>.node.<id>.<tag>`: where a client sends a `hash` call it placed on node `id` under a view whose
 * placement tag is `tag` (`placement-tag.ts`). Throws `ConfigError` for a cluster, id or tag that is not one token.
 */
export function placedNodeSubject(cluster: string, nodeId: string, tag: string): string {
  return `${nodeSubject(cluster, nodeId)}.${check(tag, TOKEN, 'placement tag')}`;
}

/** `lucent.<cluster>.node.<id>.*`: every {@link placedNodeSubject} of node `id` (what the node subscribes). */
export function allPlacedNodeSubject(cluster: string, nodeId: string): string {
  return `${nodeSubject(cluster, nodeId)}.*`;
}

/** The node subject of a {@link placedNodeSubject} of `cluster` (its tag dropped), or `undefined` for any other. */
export function nodeSubjectOfPlaced(cluster: string, subject: string): string | undefined {
  const prefix = `${PREFIX}.${cluster}.node.`;
  if (!subject.startsWith(prefix)) return undefined;
  const dot = subject.indexOf('.', prefix.length);
  return dot < 0 ? undefined : subject.slice(0, dot);
}

/** `lucent.<cluster>.fn.<name>`; `name` may contain dots. Throws `ConfigError` on an invalid name. */
export function functionSubject(cluster: string, name: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.fn.${check(name, DOTTED, 'function name')}`;
}

/** The function name in a {@link functionSubject} of `cluster`, or `undefined` for any other subject. */
export function functionNameOf(cluster: string, subject: string): string | undefined {
  const prefix = `${PREFIX}.${cluster}.fn.`;
  return subject.length > prefix.length && subject.startsWith(prefix) ? subject.slice(prefix.length) : undefined;
}

/** `lucent.<cluster>.metrics.<id>`. Throws `ConfigError` on an invalid cluster or id. */
export function metricsSubject(cluster: string, nodeId: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.metrics.${check(nodeId, TOKEN, 'node id')}`;
}

/** `lucent.<cluster>.metrics.*`: every node's load reports. */
export function allMetricsSubject(cluster: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.metrics.*`;
}

/**
 * `lucent.<cluster>.events.<type>`, one token: a dotted type is its event type name (`com.example.created` →
 * `com__example__created`, `event-type-name.ts`), so both spellings are one subject. Throws `ConfigError` on an
 * invalid type.
 */
export function eventSubject(cluster: string, type: string): string {
  const token = type.includes('.') ? eventTypeName(type) : check(type, TOKEN, 'event type');
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.events.${token}`;
}

/** `lucent.<cluster>.events.>`: every event subject of the cluster (the stream's subject filter). */
export function allEventsSubject(cluster: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.events.>`;
}

/**
 * `lucent.<cluster>.dlq.<consumer>`: dead letters of one durable event consumer. Outside `events.>` so the event
 * stream never captures them. Throws `ConfigError` on an invalid cluster or consumer name.
 */
export function deadLetterSubject(cluster: string, consumer: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.dlq.${check(consumer, TOKEN, 'consumer')}`;
}

/** `lucent.<cluster>.dlq.>`: every dead-letter subject of the cluster (the dead-letter stream's filter). */
export function allDeadLettersSubject(cluster: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.dlq.>`;
}

/** `lucent.<cluster>.reply.<connectionId>`: the one reply subject of a connection. */
export function replySubject(cluster: string, connectionId: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.reply.${check(connectionId, TOKEN, 'connection id')}`;
}

/**
 * `lucent.<cluster>.membership`: heartbeats, leaves and probes of every member (`membership/heartbeat.ts`).
 * One subject for all three keeps one sender's heartbeats and its leave in order.
 */
export function membershipSubject(cluster: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.membership`;
}

/**
 * `lucent.<cluster>.admin.<id>`: one node's admin requests (the `lucent` CLI, the dashboard): status, actor
 * inspection and lifecycle commands. Throws `ConfigError` on an invalid cluster or id.
 */
export function adminSubject(cluster: string, nodeId: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.admin.${check(nodeId, TOKEN, 'node id')}`;
}

/** `lucent.<cluster>.registry.stats`: every node answers with its deployed versions' call counters. */
export function registryStatsSubject(cluster: string): string {
  return `${PREFIX}.${check(cluster, TOKEN, 'cluster')}.registry.stats`;
}
