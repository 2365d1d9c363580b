/**
 * Who is in the cluster, as pure state: heartbeats, leaves and the passing of time go in, changes come out.
 * No I/O and no clock of its own: every call takes `nowMs`, so tests state exact times. `Membership` is the
 * shell that feeds it from the transport and a `Clock`.
 *
 * ```
 *  heartbeat(node, incarnation)   unknown                 → joined
 *                                 same incarnation        → refresh; updated (tags/weight/modules) | load-updated | nothing
 *                                 newer incarnation       → restarted (a new run of the node)
 *                                 older, or after leave   → ignored (stale)
 *  leave(node, incarnation ≥ known)                       → left (+ tombstone for deadAfterMs)
 *  tick(now): silent for ≥ deadAfterMs                    → died (the same incarnation may come back: joined)
 * ```
 * "Silent" counts from the local receipt time, never the sender's clock, so clock skew cannot kill a node.
 * The local member (set with {@link MembershipTable.setLocal}) never dies in its own table.
 */
import type { ClusterMember, LoadReport } from '@lucent/core/internal';
import { ConfigError } from '@lucent/core/internal';
import type { HeartbeatMessage } from './heartbeat.js';

/** A member as the table knows it. Immutable: a change replaces the record. */
export interface MemberRecord extends ClusterMember {
  readonly id: string;
  readonly incarnation: number;
  readonly tags: readonly string[];
  readonly weight: number;
  readonly load: LoadReport;
  /** What the member hosts (`HeartbeatMessage.modules`), as of its latest heartbeat (a change is `updated`). */
  readonly modules: readonly string[];
  /** True for this process's own member. */
  readonly local: boolean;
}

/** Kinds of {@link MemberChange}. */
export const MemberChangeType = {
  Joined: 'joined',
  Left: 'left',
  Died: 'died',
  /** Tags, ring weight or hosted modules changed: the view's rings and tag index must be rebuilt. */
  Updated: 'updated',
  /** A newer incarnation replaced a live one (the node restarted faster than it could be declared dead). */
  Restarted: 'restarted',
  /** Only the load changed: the ring stays, loads are patched in (`withLoadReports`). */
  LoadUpdated: 'load-updated',
} as const;

export type MemberChangeType = (typeof MemberChangeType)[keyof typeof MemberChangeType];

/** One change of the table. `previous` is the record it replaced (`undefined` for joined, left and died). */
export interface MemberChange {
  readonly type: MemberChangeType;
  /** The member after the change; for `left` and `died`, the record that was removed. */
  readonly member: MemberRecord;
  readonly previous: MemberRecord | undefined;
}

/** True when the change alters who is in the ring or their tags (everything but a load update). */
export function changesMembership(change: MemberChange): boolean {
  return change.type !== MemberChangeType.LoadUpdated;
}

export interface MembershipTableOptions {
  /** A remote member silent for this long is dead. Positive and finite. */
  readonly deadAfterMs: number;
}

class Entry {
  constructor(
    public record: MemberRecord,
    public lastSeenMs: number,
  ) {}
}

/** The membership state machine; see the module doc for its rules. Not thread-safe, not re-entrant. */
export class MembershipTable {
  readonly deadAfterMs: number;
  readonly #entries = new Map<string, Entry>();
  /** node id → [incarnation that left, time the tombstone expires]. */
  readonly #tombstones = new Map<string, readonly [number, number]>();
  #localId: string | undefined = undefined;
  #sorted: readonly MemberRecord[] | undefined = undefined;

  /** Throws `ConfigError` when `deadAfterMs` is not a positive finite number. */
  constructor(options: MembershipTableOptions) {
    if (!Number.isFinite(options.deadAfterMs) || options.deadAfterMs <= 0) {
      throw new ConfigError({ subject: 'MembershipTable', field: 'deadAfterMs', reason: 'must be positive, finite' });
    }
    this.deadAfterMs = options.deadAfterMs;
  }

  /** Number of members, the local one included. */
  get size(): number {
    return this.#entries.size;
  }

  /** The member with `id`, or `undefined`. */
  get(id: string): MemberRecord | undefined {
    return this.#entries.get(id)?.record;
  }

  /** When the table last heard from `id` (its `nowMs` then), or `undefined` for an unknown id. */
  lastSeenMs(id: string): number | undefined {
    return this.#entries.get(id)?.lastSeenMs;
  }

  /** Members sorted by id. The array is replaced, not mutated, on change, so a caller may keep it. */
  members(): readonly MemberRecord[] {
    if (this.#sorted === undefined) {
      const list = [...this.#entries.values()].map((e) => e.record);
      list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      this.#sorted = Object.freeze(list);
    }
    return this.#sorted;
  }

  /**
   * Sets this process's own member from the heartbeat it is about to send. The local member never expires and
   * heartbeats for its id from the wire are ignored (echoes of its own). Returns the change, if any, by the
   * same rules as a remote heartbeat; a different `node` than before replaces the local member.
   */
  setLocal(heartbeat: HeartbeatMessage, nowMs: number): MemberChange | undefined {
    if (this.#localId !== undefined && this.#localId !== heartbeat.node) this.#entries.delete(this.#localId);
    this.#localId = heartbeat.node;
    return this.#upsert(heartbeat, nowMs, true);
  }

  /**
   * Applies a heartbeat received from the wire. Returns the change, or `undefined` when nothing that matters
   * changed (a plain refresh), the heartbeat is stale, or it names the local member.
   */
  applyHeartbeat(heartbeat: HeartbeatMessage, nowMs: number): MemberChange | undefined {
    if (heartbeat.node === this.#localId) return undefined;
    const tomb = this.#tombstones.get(heartbeat.node);
    if (tomb !== undefined) {
      if (heartbeat.incarnation <= tomb[0]) return undefined;
      this.#tombstones.delete(heartbeat.node);
    }
    return this.#upsert(heartbeat, nowMs, false);
  }

  /**
   * Applies a leave. Removes the member when its known incarnation is not newer than the leave's (a leave from
   * an earlier run must not remove the current one) and remembers the incarnation for `deadAfterMs`, so a
   * delayed heartbeat of the run that left cannot bring it back. Returns `left`, or `undefined`.
   */
  applyLeave(node: string, incarnation: number, nowMs: number): MemberChange | undefined {
    if (node === this.#localId) return undefined;
    const tomb = this.#tombstones.get(node);
    if (tomb === undefined || tomb[0] < incarnation) {
      this.#tombstones.set(node, [incarnation, nowMs + this.deadAfterMs]);
    }
    const entry = this.#entries.get(node);
    if (entry === undefined || entry.record.incarnation > incarnation) return undefined;
    return this.#remove(entry, MemberChangeType.Left);
  }

  /**
   * Declares dead every remote member silent for `deadAfterMs` or more at `nowMs` (so one last heard at `t`
   * dies at exactly `t + deadAfterMs`), and forgets expired tombstones. Returns the `died` changes, by id.
   */
  tick(nowMs: number): MemberChange[] {
    const changes: MemberChange[] = [];
    for (const entry of this.members().map((m) => this.#entries.get(m.id) as Entry)) {
      // The same sum as nextDeadlineMs: a timer armed there must find the member dead (with float times,
      // `now - lastSeen >= deadAfter` can disagree with it by one rounding and re-arm forever at 0 ms).
      if (!entry.record.local && nowMs >= entry.lastSeenMs + this.deadAfterMs) {
        changes.push(this.#remove(entry, MemberChangeType.Died));
      }
    }
    for (const [node, tomb] of this.#tombstones) if (tomb[1] <= nowMs) this.#tombstones.delete(node);
    return changes;
  }

  /**
   * The earliest time at which {@link tick} can change something (a death or a tombstone expiry), or
   * `Infinity`. A heartbeat only postpones it, so a timer armed at it is never late, at worst early.
   */
  nextDeadlineMs(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.#entries.values()) {
      if (!entry.record.local) next = Math.min(next, entry.lastSeenMs + this.deadAfterMs);
    }
    for (const tomb of this.#tombstones.values()) next = Math.min(next, tomb[1]);
    return next;
  }

  #upsert(heartbeat: HeartbeatMessage, nowMs: number, local: boolean): MemberChange | undefined {
    const entry = this.#entries.get(heartbeat.node);
    if (entry === undefined) {
      const record = toRecord(heartbeat, local);
      this.#entries.set(record.id, new Entry(record, nowMs));
      this.#sorted = undefined;
      return { type: MemberChangeType.Joined, member: record, previous: undefined };
    }
    const previous = entry.record;
    if (heartbeat.incarnation < previous.incarnation) return undefined;
    entry.lastSeenMs = nowMs;
    let type: MemberChangeType;
    if (heartbeat.incarnation > previous.incarnation) type = MemberChangeType.Restarted;
    else if (
      heartbeat.weight !== previous.weight ||
      !sameTags(heartbeat.tags, previous.tags) ||
      !sameTags(heartbeat.modules ?? NO_MODULES, previous.modules)
    ) {
      type = MemberChangeType.Updated;
    } else if (!sameLoad(heartbeat.load, previous.load)) type = MemberChangeType.LoadUpdated;
    else return undefined;
    entry.record = toRecord(heartbeat, local);
    this.#sorted = undefined;
    return { type, member: entry.record, previous };
  }

  /**
   * Replaces the load of member `id` (from its load report on the metrics subject): a `load-updated` change, or
   * `undefined` for an unknown member or an unchanged load. Liveness is the heartbeat's: this never refreshes
   * the member's last-seen time.
   */
  applyLoad(id: string, load: LoadReport): MemberChange | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || sameLoad(entry.record.load, load)) return undefined;
    const previous = entry.record;
    entry.record = Object.freeze({ ...previous, load });
    this.#sorted = undefined;
    return { type: MemberChangeType.LoadUpdated, member: entry.record, previous };
  }

  #remove(entry: Entry, type: MemberChangeType): MemberChange {
    this.#entries.delete(entry.record.id);
    this.#sorted = undefined;
    return { type, member: entry.record, previous: undefined };
  }
}

function toRecord(heartbeat: HeartbeatMessage, local: boolean): MemberRecord {
  // Every field in one order: one hidden class for all records.
  return Object.freeze({
    id: heartbeat.node,
    incarnation: heartbeat.incarnation,
    tags: heartbeat.tags,
    weight: heartbeat.weight,
    load: heartbeat.load,
    modules: heartbeat.modules ?? NO_MODULES,
    local,
  });
}

const NO_MODULES: readonly string[] = Object.freeze([]);

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameLoad(a: LoadReport, b: LoadReport): boolean {
  return (
    a.cpu === b.cpu &&
    a.memory === b.memory &&
    a.activeFunctions === b.activeFunctions &&
    a.maxFunctions === b.maxFunctions &&
    a.queueDepth === b.queueDepth &&
    a.maxQueue === b.maxQueue &&
    a.score === b.score &&
    sameTags(a.degraded ?? NO_MODULES, b.degraded ?? NO_MODULES)
  );
}
