/**
 * Subject strings the router sends to, built once per destination. `nodeSubject()` and friends validate their
 * tokens with a regular expression and concatenate; the router would otherwise pay that per forwarded message
 * and per `Completed` event.
 */
import { DEFAULT_CLUSTER, eventSubject, functionSubject, nodeSubject, placedNodeSubject } from './subjects.js';

/** Memoized subjects of one cluster. Grows with the number of distinct nodes, functions and event types. */
export class SubjectCache {
  readonly cluster: string;
  readonly #nodes = new Map<string, string>();
  readonly #functions = new Map<string, string>();
  readonly #events = new Map<string, string>();
  /** Placed-node subjects of one placement tag (a new tag, after a membership change, starts a new map). */
  readonly #placed = new Map<string, string>();
  #placedTag = '';

  /** Throws `ConfigError` when `cluster` is not one subject token. */
  constructor(cluster: string = DEFAULT_CLUSTER) {
    nodeSubject(cluster, 'check');
    this.cluster = cluster;
  }

  /** `lucent.<cluster>.node.<id>`. Throws `ConfigError` for an id that is not a subject token. */
  node(nodeId: string): string {
    let subject = this.#nodes.get(nodeId);
    if (subject === undefined) {
      subject = nodeSubject(this.cluster, nodeId);
      this.#nodes.set(nodeId, subject);
    }
    return subject;
  }

  /** `lucent.<cluster>.node.<id>.<tag>` (`placedNodeSubject`). Throws `ConfigError` for an invalid id or tag. */
  placedNode(nodeId: string, tag: string): string {
    if (tag !== this.#placedTag) {
      this.#placed.clear();
      this.#placedTag = tag;
    }
    let subject = this.#placed.get(nodeId);
    if (subject === undefined) {
      subject = placedNodeSubject(this.cluster, nodeId, tag);
      this.#placed.set(nodeId, subject);
    }
    return subject;
  }

  /**
   * `lucent.<cluster>.fn.<name>` for a function reference; a version suffix (`name@2`) is dropped, since every
   * version of a function shares its queue group. Throws `ConfigError` for an invalid name.
   */
  function(ref: string): string {
    let subject = this.#functions.get(ref);
    if (subject === undefined) {
      const at = ref.indexOf('@');
      subject = functionSubject(this.cluster, at < 0 ? ref : ref.slice(0, at));
      this.#functions.set(ref, subject);
    }
    return subject;
  }

  /** `lucent.<cluster>.events.<type>`. Throws `ConfigError` for an invalid type. */
  event(type: string): string {
    let subject = this.#events.get(type);
    if (subject === undefined) {
      subject = eventSubject(this.cluster, type);
      this.#events.set(type, subject);
    }
    return subject;
  }
}
