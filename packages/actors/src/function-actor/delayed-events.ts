/**
 * Delayed transitions (`after`) that survive persistence. What xstate v5 (5.33) does, checked in its source
 * (`createSystem`'s scheduler) and by test: a pending `after` timer lives only in the running actor system
 * (`system._snapshot._scheduledEvents`: event, delay, `startedAt: Date.now()`); the machine's
 * `getPersistedSnapshot()` does not include it, and restoring a snapshot does not re-enter the state, so the
 * timer is neither restarted nor resumed: it is lost, and the actor stays in that state until another event.
 *
 * What Lucent adds: the host records each pending self-targeted delayed event's due time (wall clock, the host's
 * clock) when xstate schedules it, stores them beside the snapshot (field {@link DELAYS_FIELD}), and on restore
 * schedules them again with their remaining time (overdue ones at once). The host also keeps a durable reminder
 * for the earliest one (`lucent.after`), so a passivated or crashed actor is woken when it is due.
 *
 * ```
 *  send/transition ─► xstate schedules 'xstate.after.5000.order.open' ─► host marks dueAt = now + 5000
 *  save ─► { ...snapshot, lucentDelays: [{ id, event, dueAt }] }   + reminder 'lucent.after' at min(dueAt)
 *  load ─► restore snapshot ─► scheduler.schedule(self, self, event, max(0, dueAt − now), id)
 * ```
 */
import type { AnyActor, AnyStateMachine, EventObject } from 'xstate';

/** The field of the stored snapshot that holds the pending delayed events. */
export const DELAYS_FIELD = 'lucentDelays';

/** The name of the reminder that wakes an actor for its earliest delayed event. */
export const AFTER_REMINDER = 'lucent.after';

/** The (ignored) event that reminder delivers: activating the actor is its whole point. */
export const WAKE_EVENT: EventObject = Object.freeze({ type: 'lucent.wake' });

/** A pending delayed event as stored. */
export interface StoredDelay {
  readonly id: string;
  readonly event: EventObject;
  /** When it is due (epoch ms of the host's clock). */
  readonly dueAt: number;
}

interface ScheduledEvent {
  readonly source: unknown;
  readonly target: unknown;
  readonly event: EventObject;
  readonly delay: number;
  readonly id: string;
  /** Set by {@link markScheduled}: xstate's own `startedAt` reads `Date.now()`, not the host's clock. */
  lucentDueAt?: number;
}

interface SchedulerSystem {
  readonly _snapshot: { readonly _scheduledEvents: Record<string, ScheduledEvent> };
  readonly scheduler: {
    schedule(source: AnyActor, target: AnyActor, event: EventObject, delay: number, id: string): void;
  };
}

const hasDelaysCache = new WeakMap<AnyStateMachine, boolean>();

/** True when some state of `machine` has an `after` transition (computed once per machine). */
export function machineHasDelays(machine: AnyStateMachine): boolean {
  let known = hasDelaysCache.get(machine);
  if (known === undefined) {
    known = nodeHasDelays(machine.root as unknown as StateNodeLike);
    hasDelaysCache.set(machine, known);
  }
  return known;
}

interface StateNodeLike {
  readonly after?: readonly unknown[];
  readonly states?: Record<string, StateNodeLike>;
}

function nodeHasDelays(node: StateNodeLike): boolean {
  if ((node.after?.length ?? 0) > 0) return true;
  for (const child of Object.values(node.states ?? {})) if (nodeHasDelays(child)) return true;
  return false;
}

function scheduledOf(actor: AnyActor): Record<string, ScheduledEvent> {
  return (actor.system as unknown as SchedulerSystem)._snapshot._scheduledEvents;
}

/** Gives every newly scheduled self-targeted delayed event its due time on the host's clock. */
export function markScheduled(actor: AnyActor, wallNow: number): void {
  const scheduled = scheduledOf(actor);
  for (const key in scheduled) {
    const entry = scheduled[key] as ScheduledEvent;
    if (entry.lucentDueAt === undefined && entry.source === actor && entry.target === actor) {
      entry.lucentDueAt = wallNow + entry.delay;
    }
  }
}

/** The pending self-targeted delayed events of `actor`, earliest first (marking any not yet marked). */
export function pendingDelays(actor: AnyActor, wallNow: number): StoredDelay[] {
  markScheduled(actor, wallNow);
  const delays: StoredDelay[] = [];
  const scheduled = scheduledOf(actor);
  for (const key in scheduled) {
    const entry = scheduled[key] as ScheduledEvent;
    if (entry.lucentDueAt === undefined) continue;
    delays.push({ id: entry.id, event: entry.event, dueAt: entry.lucentDueAt });
  }
  return delays.sort((a, b) => a.dueAt - b.dueAt);
}

/** Schedules `delays` again on a restored, started `actor`, each with its remaining time (0 when overdue). */
export function restoreDelays(actor: AnyActor, delays: readonly StoredDelay[], wallNow: number): void {
  const system = actor.system as unknown as SchedulerSystem;
  for (const delay of delays) {
    system.scheduler.schedule(actor, actor, delay.event, Math.max(0, delay.dueAt - wallNow), delay.id);
  }
  markScheduled(actor, wallNow);
  // The remaining time is what was just scheduled; keep the original due times (not now + remaining, the same).
  const scheduled = scheduledOf(actor);
  for (const delay of delays) {
    for (const key in scheduled) {
      const entry = scheduled[key] as ScheduledEvent;
      if (entry.id === delay.id && entry.source === actor) entry.lucentDueAt = delay.dueAt;
    }
  }
}

/** The stored value with `delays` beside the snapshot (unchanged when there are none). */
export function withDelays(persisted: unknown, delays: readonly StoredDelay[]): unknown {
  if (delays.length === 0 || typeof persisted !== 'object' || persisted === null) return persisted;
  return { ...persisted, [DELAYS_FIELD]: delays };
}

/** Splits a stored value into the snapshot and its stored delays (empty when none). */
export function splitDelays(stored: unknown): { persisted: unknown; delays: StoredDelay[] } {
  if (typeof stored !== 'object' || stored === null || !(DELAYS_FIELD in stored))
    return { persisted: stored, delays: [] };
  const { [DELAYS_FIELD]: raw, ...persisted } = stored as Record<string, unknown>;
  const delays = Array.isArray(raw)
    ? raw.filter(
        (d): d is StoredDelay =>
          typeof d === 'object' && d !== null && typeof d.id === 'string' && typeof d.dueAt === 'number',
      )
    : [];
  return { persisted, delays };
}
