/**
 * An in-process message bus that behaves like one NATS server: subjects with `*` and `>` wildcards, queue
 * groups, delivery in a later event-loop turn (never re-entrantly, never starving timers), a maximum message size. Several
 * `InMemoryTransport`s attached to one bus act as separate connections.
 *
 * Queue groups deliver to one member, round-robin (NATS picks at random; round-robin keeps tests
 * deterministic). Messages are not copied: a published message is immutable by contract. Like a NATS server
 * for a client with `no_responders`, a message that has a reply subject and reaches no subscriber makes the bus
 * tell the reply subject's subscribers (`MessageInbox.onNoResponders`).
 */
import type { ConnectionSubscription, MessageInbox } from './framed-transport.js';

/**
 * Runs deliveries soon (default `setImmediate`); a test may inject its own. It must not be a microtask: a
 * request/reply loop whose batches reach the size cap publishes synchronously, and with microtask delivery it
 * would never yield to timers or I/O (a socket is a macrotask too, so this is also the faithful choice).
 */
export type DeliveryScheduler = (callback: () => void) => void;

export interface InMemoryBusOptions {
  /** Largest message accepted, like NATS `max_payload` (default 1 MiB). */
  readonly maxMessageBytes?: number;
  readonly scheduleDelivery?: DeliveryScheduler;
}

class BusSubscription implements ConnectionSubscription {
  active = true;
  constructor(
    readonly bus: InMemoryBus,
    readonly subject: string,
    readonly tokens: readonly string[] | undefined,
    readonly queue: string | undefined,
    readonly inbox: MessageInbox,
  ) {}

  unsubscribe(): void {
    if (!this.active) return;
    this.active = false;
    this.bus.remove(this);
  }
}

/** One queued delivery. */
class Delivery {
  constructor(
    readonly target: BusSubscription,
    /** The subject it was published on (for a no-responders notice, `replyTo`). */
    readonly subject: string,
    readonly data: Uint8Array,
    readonly replyTo: string | undefined,
    /** A no-responders notice about `replyTo` instead of a message. */
    readonly noResponders: boolean,
  ) {}
}

const NO_DATA = new Uint8Array(0);

function matches(tokens: readonly string[], subject: string): boolean {
  const parts = subject.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '>') return parts.length > i;
    if (i >= parts.length || (t !== '*' && t !== parts[i])) return false;
  }
  return parts.length === tokens.length;
}

/** The in-memory "server". Not shared across threads. */
export class InMemoryBus {
  readonly maxMessageBytes: number;
  readonly #schedule: DeliveryScheduler;
  /** Exact-subject subscriptions (the common case, one Map lookup). */
  readonly #exact = new Map<string, BusSubscription[]>();
  /** Subscriptions with wildcards, matched token by token. */
  #wildcard: BusSubscription[] = [];
  readonly #roundRobin = new Map<string, number>();
  #queue: Delivery[] = [];
  #drainScheduled = false;
  #idleWaiters: (() => void)[] = [];
  readonly #published = new Map<string, number>();
  readonly #drain: () => void;
  /** Messages published since creation, over all subjects. */
  messagesPublished = 0;

  constructor(options: InMemoryBusOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
    this.#schedule = options.scheduleDelivery ?? setImmediate;
    this.#drain = () => this.#deliverAll();
  }

  /** Messages published to exactly `subject` so far. */
  publishedTo(subject: string): number {
    return this.#published.get(subject) ?? 0;
  }

  /**
   * Publishes raw bytes, like `nc.publish`: delivered later to every plain subscriber and one member per queue
   * group. Throws `RangeError` over `maxMessageBytes` (the transport checks sizes before, with `EncodeError`).
   */
  publish(subject: string, data: Uint8Array, replyTo?: string): void {
    if (data.byteLength > this.maxMessageBytes) {
      throw new RangeError(`message of ${data.byteLength} bytes exceeds ${this.maxMessageBytes}`);
    }
    this.messagesPublished++;
    this.#published.set(subject, (this.#published.get(subject) ?? 0) + 1);
    const queued = this.#queue.length;
    let groups: Map<string, BusSubscription[]> | undefined;
    const exact = this.#exact.get(subject);
    if (exact !== undefined) groups = this.#route(exact, subject, data, replyTo, groups);
    if (this.#wildcard.length > 0) {
      groups = this.#route(this.#matchingWildcards(subject), subject, data, replyTo, groups);
    }
    if (groups !== undefined) {
      for (const [key, members] of groups) {
        const turn = this.#roundRobin.get(key) ?? 0;
        this.#roundRobin.set(key, turn + 1);
        this.#enqueue(new Delivery(members[turn % members.length]!, subject, data, replyTo, false));
      }
    }
    if (replyTo !== undefined && this.#queue.length === queued) this.#noResponders(replyTo);
  }

  /** Tells the subscribers of `replyTo` that a request to it found nobody (NATS sends them a 503 status). */
  #noResponders(replyTo: string): void {
    const targets = [...(this.#exact.get(replyTo) ?? []), ...this.#matchingWildcards(replyTo)];
    for (const target of targets) this.#enqueue(new Delivery(target, replyTo, NO_DATA, replyTo, true));
  }

  #matchingWildcards(subject: string): BusSubscription[] {
    return this.#wildcard.filter((s) => s.tokens !== undefined && matches(s.tokens, subject));
  }

  /** Resolves once every message published so far (and any they cause synchronously) has been delivered. */
  idle(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** @internal Used by `InMemoryTransport`. */
  subscribe(subject: string, queue: string | undefined, inbox: MessageInbox): ConnectionSubscription {
    const wild = subject.includes('*') || subject.includes('>');
    const sub = new BusSubscription(this, subject, wild ? subject.split('.') : undefined, queue, inbox);
    if (wild) this.#wildcard.push(sub);
    else {
      const list = this.#exact.get(subject);
      if (list === undefined) this.#exact.set(subject, [sub]);
      else list.push(sub);
    }
    return sub;
  }

  /** @internal */
  remove(sub: BusSubscription): void {
    if (sub.tokens !== undefined) {
      this.#wildcard = this.#wildcard.filter((s) => s !== sub);
      return;
    }
    const list = this.#exact.get(sub.subject)?.filter((s) => s !== sub);
    if (list === undefined || list.length === 0) this.#exact.delete(sub.subject);
    else this.#exact.set(sub.subject, list);
  }

  #route(
    subs: readonly BusSubscription[],
    subject: string,
    data: Uint8Array,
    replyTo: string | undefined,
    groups: Map<string, BusSubscription[]> | undefined,
  ): Map<string, BusSubscription[]> | undefined {
    for (const sub of subs) {
      if (sub.queue === undefined) {
        this.#enqueue(new Delivery(sub, subject, data, replyTo, false));
        continue;
      }
      // Round-robin state is per (subscription subject, queue), like a NATS queue group.
      const key = `${sub.subject} ${sub.queue}`;
      groups ??= new Map();
      const members = groups.get(key);
      if (members === undefined) groups.set(key, [sub]);
      else members.push(sub);
    }
    return groups;
  }

  #enqueue(delivery: Delivery): void {
    this.#queue.push(delivery);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      this.#schedule(this.#drain);
    }
  }

  #deliverAll(): void {
    const queue = this.#queue;
    // Deliveries published by handlers during this loop are appended and delivered in the same pass.
    for (let i = 0; i < queue.length; i++) {
      const d = queue[i]!;
      if (!d.target.active) continue;
      try {
        if (!d.noResponders) d.target.inbox.onMessage(d.data, d.replyTo, d.subject);
        else if (d.replyTo !== undefined) d.target.inbox.onNoResponders?.(d.replyTo);
      } catch {
        // Transports report their own errors; a throwing inbox must not stall every later delivery.
      }
    }
    this.#queue = [];
    this.#drainScheduled = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
