/**
 * Which emitted events go to which webhook (`--event-sink pattern=url,...`). Pure: parsing, pattern matching and
 * the durable consumer each sink reads the event stream through.
 *
 * ```
 *  OrderPlaced=https://hooks.example/orders   exactly the type OrderPlaced   consumer filter lucent.<C>.events.OrderPlaced
 *  tally*=http://127.0.0.1:9000/tally          types starting with 'tally'    filter lucent.<C>.events.>  (+ match here)
 *  *=https://audit.example/all                 every event                    filter lucent.<C>.events.>
 *  com.example.*=https://hooks.example/ex     dotted types com.example.…     (pattern com__example__*, as stored)
 * ```
 * Each sink is one durable consumer shared by every node configured with it (`sink--<pattern>--<hash of
 * pattern and url>`), so an event goes to a sink once per cluster, not once per node.
 */
import { createHash } from 'node:crypto';
import {
  allEventsSubject,
  ConfigError,
  DOT_IN_EVENT_TYPE,
  eventSubject,
  eventTypeProblem,
} from '@lucent/core/internal';

/** One `pattern=url` entry of `--event-sink`. */
export interface EventSinkRoute {
  /** `Type`, `prefix*` or `*`, dots written `__` (as the event type names it matches). */
  readonly pattern: string;
  /** Where matching events are POSTed (http or https). */
  readonly url: string;
  /** The durable consumer's name (a subject token; also the metrics label). */
  readonly name: string;
  /** The URL for logs: origin and path only, so credentials in the user info or query never reach a log line. */
  readonly logUrl: string;
}

/**
 * The routes of `--event-sink` entries, in order. Throws `ConfigError` (field `eventSink`) for an entry without
 * `=`, a pattern that is neither an event type, a prefix followed by `*` nor `*`, a URL that is not http(s), or
 * the same pattern and URL twice.
 */
export function parseEventSinks(entries: readonly string[]): EventSinkRoute[] {
  const routes: EventSinkRoute[] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw sinkError(`'${entry}' is not pattern=url`);
    const given = entry.slice(0, at);
    const url = entry.slice(at + 1);
    // Dotted types and prefixes (`com.example.*`) match the event type names they are stored under.
    if (!isSinkPattern(given)) {
      throw sinkError(`'${given}' is not an event type, a type prefix followed by '*', or '*'`);
    }
    const pattern = given.replaceAll('.', DOT_IN_EVENT_TYPE);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw sinkError(`'${url}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw sinkError(`'${url}' is not http(s)`);
    const name = sinkConsumerName(pattern, url);
    if (routes.some((route) => route.name === name)) throw sinkError(`'${entry}' is listed twice`);
    routes.push({ pattern, url, name, logUrl: `${parsed.origin}${parsed.pathname}` });
  }
  return routes;
}

/** True for `*`, `prefix*` and an exact event type (dotted ones too; a prefix may end with a dot). */
function isSinkPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.endsWith('*')) return eventTypeProblem(pattern) === undefined;
  const prefix = pattern.slice(0, -1);
  return eventTypeProblem(prefix.endsWith('.') ? prefix.slice(0, -1) : prefix) === undefined;
}

/** True when event type `type` goes to a sink with `pattern`. */
export function matchesSinkPattern(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return type.startsWith(pattern.slice(0, -1));
  return type === pattern;
}

/** The subject a sink's consumer filters on: the type's own subject when exact, every event otherwise. */
export function sinkFilterSubject(cluster: string, pattern: string): string {
  return pattern.endsWith('*') ? allEventsSubject(cluster) : eventSubject(cluster, pattern);
}

/**
 * `sink--<pattern, * as _any>--<8 hex of sha256(pattern url)>`: readable in `lucent events`, and a different URL for
 * the same pattern is a different consumer (it has its own deliveries to make).
 */
export function sinkConsumerName(pattern: string, url: string): string {
  const hash = createHash('sha256').update(pattern).update('\0').update(url).digest('hex').slice(0, 8);
  return `sink--${pattern === '*' ? '_any' : pattern.replace('*', '_any')}--${hash}`;
}

function sinkError(reason: string): ConfigError {
  return new ConfigError({ subject: 'lucent-node option --event-sink', field: 'eventSink', reason });
}
