/**
 * Membership: the shell around {@link MembershipTable}. It heartbeats this node on the cluster's membership
 * subject, listens to everyone else's, runs deaths on the injected clock, and keeps the {@link ClusterView}
 * (members, tags, loads, ring) that routing reads.
 *
 * ```
 *  start ─► subscribe lucent.C.membership ─► heartbeat + probe ─► flush
 *                 │                               every heartbeatIntervalMs: heartbeat (load from `load()`)
 *                 ▼
 *   heartbeat ─► table.applyHeartbeat ─┐   leave ─► table.applyLeave ─┐   probe ─► heartbeat now (members)
 *   clock timer at table.nextDeadlineMs ─► table.tick ─► died ─────────┤
 *                                                                      ▼
 *                         events (joined, left, died, updated, restarted) + view marked stale
 *  transport reconnected ─► heartbeat + probe
 *  stop ─► timers off, unsubscribe, leave, flush
 * ```
 *
 * Start-up: a newcomer does not wait a whole interval to see the cluster. Its probe makes every member
 * heartbeat at once (probes that arrive in the same turn share one answer), so views converge within a round
 * trip of `start()` resolving.
 *
 * The view is rebuilt lazily, on the first read after a change: a membership change (join, leave, death, tags,
 * weight) builds a new view and ring; a load-only change patches loads into the current view with
 * `withLoadReports`, sharing its ring. Many heartbeats between two reads cost one rebuild.
 *
 * Death timing: the expiry timer is armed at the table's earliest deadline and re-armed after each firing.
 * Heartbeats only postpone deadlines, so they never re-arm it; a member silent since `t` is removed at
 * `t + deadAfterMs` (plus the clock's timer latency).
 */
import type { TimerHandle } from '@lucent/actors/internal';
import {
  allMetricsSubject,
  type ClusterView,
  ConfigError,
  compactLoad,
  DEFAULT_CLUSTER,
  type LoadReport,
  type LucentError,
  type NodeLoadReport,
  ShuttingDownError,
  toLucentError,
} from '@lucent/core/internal';
import { decodeLoadReport } from '../load/load-report-codec.js';
import type { TransportStatusEvent, TransportSubscription } from '../transport/transport.js';
import {
  decodeMembershipMessage,
  encodeMembershipMessage,
  type HeartbeatMessage,
  type MembershipMessage,
  MembershipMessageType,
  wireSafeLoad,
} from './heartbeat.js';
import { type MembershipErrorListener, type MembershipEventListener, membershipEventOf } from './membership-events.js';
import {
  type MembershipOptions,
  MembershipRole,
  type ResolvedMembershipOptions,
  resolveMembershipOptions,
} from './membership-options.js';
import { type MemberChange, type MemberRecord, MembershipTable } from './membership-table.js';
import { MembershipView } from './membership-view.js';

/** Counters since creation, for metrics and tests. */
export class MembershipStats {
  heartbeatsSent = 0;
  messagesReceived = 0;
  probesAnswered = 0;
}

const State = { New: 0, Running: 1, Stopped: 2 } as const;
type State = (typeof State)[keyof typeof State];

/** One process's membership: a heartbeating member or an observing client. See the module doc. */
export class Membership {
  readonly role: MembershipRole;
  /** This member's id; `''` for an observer. */
  readonly nodeId: string;
  readonly incarnation: number;
  readonly heartbeatIntervalMs: number;
  readonly deadAfterMs: number;
  readonly stats = new MembershipStats();
  readonly #o: ResolvedMembershipOptions;
  readonly #table: MembershipTable;
  readonly #listeners = new Set<MembershipEventListener>();
  readonly #errorListeners = new Set<MembershipErrorListener>();
  #state: State = State.New;
  #subscription: TransportSubscription | undefined = undefined;
  /** Every node's load reports (`lucent.<cluster>.metrics.*`), folded into the view. */
  #reportSubscription: TransportSubscription | undefined = undefined;
  readonly #reportsSubject: string;
  #removeStatusListener: (() => void) | undefined = undefined;
  #heartbeatTimer: TimerHandle | undefined = undefined;
  #expiryTimer: TimerHandle | undefined = undefined;
  #answerQueued = false;
  /** Incarnations of other processes already reported for heartbeating under this node's id. */
  readonly #duplicatesReported = new Set<number>();
  readonly #view: MembershipView;
  readonly #reports = new Map<string, NodeLoadReport>();
  /** This member's ring weight; starts at the option's, changed by {@link setWeight} (rebalancing). */
  #weight: number;
  /** What this member advertises; replaced by `setModules` when a deploy loads or retires versions. */
  #modules: readonly string[];
  #startPromise: Promise<void> | undefined = undefined;
  #stopPromise: Promise<void> | undefined = undefined;
  // Bound once: timers and the subscription call these without a closure per firing or message.
  readonly #onHeartbeatTimer = (): void => this.#heartbeatTick();
  readonly #onExpiryTimer = (): void => this.#expiryTick();
  readonly #answerProbes = (): void => this.#answerQueuedProbes();
  readonly #onFrame = (frame: Uint8Array): void => this.#receive(frame);
  // Throws DecodeError for a malformed report; the transport hands it to #onSubscriptionError.
  readonly #onReport = (frame: Uint8Array): void => this.applyLoadReport(decodeLoadReport(this.#o.codec, frame));
  readonly #onSubscriptionError = (error: LucentError): void => this.#report(error);
  readonly #onTransportStatus = (event: TransportStatusEvent): void => this.#transportStatus(event);

  /** Throws `ConfigError` for invalid options (see `resolveMembershipOptions`). Sends nothing until `start()`. */
  constructor(options: MembershipOptions) {
    this.#o = resolveMembershipOptions(options);
    this.#reportsSubject = allMetricsSubject(options.cluster ?? DEFAULT_CLUSTER);
    this.#weight = this.#o.weight;
    this.role = this.#o.role;
    this.nodeId = this.#o.nodeId;
    this.incarnation = this.#o.incarnation;
    this.heartbeatIntervalMs = this.#o.heartbeatIntervalMs;
    this.deadAfterMs = this.#o.deadAfterMs;
    this.#table = new MembershipTable({ deadAfterMs: this.#o.deadAfterMs });
    const table = this.#table;
    this.#view = new MembershipView(() => table.members(), this.#o.view);
    this.#modules = this.#o.modules;
  }

  /** What this member advertises (`fn:<name>@<version>`, `actor:<type>`), sorted. */
  get modules(): readonly string[] {
    return this.#modules;
  }

  /**
   * Replaces what this member advertises (the deployed registry loaded or retired a version) and, when it
   * changed and membership runs, heartbeats at once so others place with it within a round trip.
   */
  setModules(modules: readonly string[]): void {
    const next = Object.freeze([...new Set(modules)].sort());
    if (next.length === this.#modules.length && next.every((m, i) => m === this.#modules[i])) return;
    this.#modules = next;
    if (this.#state === State.Running && this.role === MembershipRole.Member) this.#sendHeartbeat();
  }

  /**
   * Folds a member's load report (metrics subject, `load-report-listener.ts`) into the view: its compact load
   * replaces the heartbeat's until the next of either. Reports of unknown members and of this member are kept
   * (see {@link loadReports}) but change no view. Never throws.
   */
  applyLoadReport(report: NodeLoadReport): void {
    if (this.#state !== State.Running) return;
    this.#reports.set(report.node, report);
    if (report.node === this.nodeId) return;
    this.#apply(this.#table.applyLoad(report.node, wireSafeLoad(compactLoad(report))));
  }

  /** This member's ring weight now. */
  get weight(): number {
    return this.#weight;
  }

  /**
   * Changes this member's ring weight (rebalancing sheds keys by lowering it) and heartbeats at once, so every
   * view rebuilds its ring now rather than at the next interval. Throws `ConfigError` unless `weight` is
   * positive and finite; a no-op when unchanged or not running.
   */
  setWeight(weight: number): void {
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new ConfigError({ subject: 'Membership', field: 'weight', reason: 'must be positive and finite' });
    }
    if (weight === this.#weight) return;
    this.#weight = weight;
    if (this.#state === State.Running && this.role === MembershipRole.Member) this.#sendHeartbeat();
  }

  /** The latest load report of every member that published one (live members only). */
  loadReports(): ReadonlyMap<string, NodeLoadReport> {
    for (const id of this.#reports.keys()) if (this.#table.get(id) === undefined) this.#reports.delete(id);
    return this.#reports;
  }

  /** Views built from scratch (each with a new ring) so far; load-only updates do not count. */
  get viewBuilds(): number {
    return this.#view.builds;
  }

  /** True between `start()` and `stop()` (or the transport closing). */
  get isRunning(): boolean {
    return this.#state === State.Running;
  }

  /**
   * The current view: members sorted by id (a member includes itself), tags, loads and the ring. Immutable;
   * a later read after a change returns a new object. Empty until `start()`.
   */
  get view(): ClusterView {
    return this.#view.current;
  }

  /** Members sorted by id, with incarnations. Replaced, not mutated, on change. */
  get members(): readonly MemberRecord[] {
    return this.#table.members();
  }

  /** The member with `id`, or `undefined`. */
  member(id: string): MemberRecord | undefined {
    return this.#table.get(id);
  }

  /**
   * Subscribes, sends this member's first heartbeat (a member joins its own view at once, with a
   * `member.joined` event) and a probe, and resolves once they reached the server. Idempotent: later calls
   * return the same promise. Rejects with `ShuttingDownError` after `stop()` or when the transport is closed.
   */
  start(): Promise<void> {
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  /**
   * Stops heartbeating and listening; a running member then sends a leave, so others drop it at once. The view
   * stays as it was. Idempotent; never rejects (with the transport already closed, no leave is sent).
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  /** Adds an event listener; returns its remover. Listeners run synchronously; one that throws is reported. */
  onEvent(listener: MembershipEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds an error listener (see `MembershipErrorListener`); returns its remover. */
  onError(listener: MembershipErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  async #start(): Promise<void> {
    const transport = this.#o.transport;
    if (this.#state === State.Stopped || transport.isClosed) throw new ShuttingDownError({ node: this.#name() });
    this.#subscription = transport.subscribe(this.#o.subject, this.#onFrame, { onError: this.#onSubscriptionError });
    this.#reportSubscription = transport.subscribe(this.#reportsSubject, this.#onReport, {
      onError: this.#onSubscriptionError,
    });
    this.#removeStatusListener = transport.onStatus(this.#onTransportStatus);
    this.#state = State.Running;
    if (this.role === MembershipRole.Member) this.#heartbeatTick();
    this.#send({ type: MembershipMessageType.Probe, from: this.nodeId });
    await transport.flush();
  }

  /**
   * After a reconnect, others may have declared this member dead and it may have lost them: heartbeat and
   * probe at once instead of waiting up to an interval on both sides.
   */
  #transportStatus(event: TransportStatusEvent): void {
    if (event.type !== 'reconnected' || this.#state !== State.Running) return;
    if (this.role === MembershipRole.Member) this.#sendHeartbeat();
    this.#send({ type: MembershipMessageType.Probe, from: this.nodeId });
  }

  async #stop(): Promise<void> {
    const wasRunning = this.#state === State.Running;
    this.#halt();
    const transport = this.#o.transport;
    if (!wasRunning || this.role !== MembershipRole.Member || transport.isClosed) return;
    this.#send({ type: MembershipMessageType.Leave, node: this.nodeId, incarnation: this.incarnation });
    try {
      await transport.flush();
    } catch {
      // Closed meanwhile: the leave is lost and others find out by the dead-after window instead.
    }
  }

  #halt(): void {
    this.#state = State.Stopped;
    if (this.#heartbeatTimer !== undefined) this.#o.clock.clearTimeout(this.#heartbeatTimer);
    if (this.#expiryTimer !== undefined) this.#o.clock.clearTimeout(this.#expiryTimer);
    this.#heartbeatTimer = undefined;
    this.#expiryTimer = undefined;
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    this.#reportSubscription?.unsubscribe();
    this.#reportSubscription = undefined;
    this.#removeStatusListener?.();
    this.#removeStatusListener = undefined;
  }

  #heartbeatTick(): void {
    this.#heartbeatTimer = undefined;
    if (this.#state !== State.Running) return;
    this.#sendHeartbeat();
    if (this.#state === State.Running) {
      this.#heartbeatTimer = this.#o.clock.setTimeout(this.#onHeartbeatTimer, this.#o.heartbeatIntervalMs);
    }
  }

  #sendHeartbeat(): void {
    const heartbeat: HeartbeatMessage = {
      type: MembershipMessageType.Heartbeat,
      node: this.nodeId,
      incarnation: this.incarnation,
      tags: this.#o.tags,
      weight: this.#weight,
      load: this.#currentLoad(),
      modules: this.#modules,
    };
    this.#apply(this.#table.setLocal(heartbeat, this.#o.clock.now()));
    if (this.#send(heartbeat)) this.stats.heartbeatsSent++;
  }

  /** Sends one message; `false` when it could not be (reported; a closed transport also halts membership). */
  #send(message: MembershipMessage): boolean {
    const transport = this.#o.transport;
    try {
      transport.send(this.#o.subject, encodeMembershipMessage(this.#o.codec, message));
      return true;
    } catch (error) {
      if (ShuttingDownError.is(error) && this.#state === State.Running) this.#halt();
      this.#report(toLucentError(error, this.#o.subject));
      return false;
    }
  }

  #currentLoad(): LoadReport {
    let report: LoadReport;
    try {
      report = this.#o.load();
    } catch (error) {
      this.#report(toLucentError(error, 'membership load provider'));
      report = this.#table.get(this.nodeId)?.load ?? wireSafeLoad(undefined);
    }
    return wireSafeLoad(report);
  }

  #receive(frame: Uint8Array): void {
    this.stats.messagesReceived++;
    // Throws DecodeError for a malformed message; the transport hands it to #onSubscriptionError.
    const message = decodeMembershipMessage(this.#o.codec, frame);
    if (this.#state !== State.Running) return;
    const now = this.#o.clock.now();
    switch (message.type) {
      case MembershipMessageType.Heartbeat:
        if (message.node === this.nodeId) {
          if (message.incarnation !== this.incarnation) this.#duplicateId(message.incarnation);
          return;
        }
        this.#apply(this.#table.applyHeartbeat(message, now));
        break;
      case MembershipMessageType.Leave:
        this.#apply(this.#table.applyLeave(message.node, message.incarnation, now));
        break;
      case MembershipMessageType.Probe:
        if (this.role === MembershipRole.Member && message.from !== this.nodeId && !this.#answerQueued) {
          // A microtask runs after every message of this read, so a burst of probes costs one heartbeat.
          this.#answerQueued = true;
          queueMicrotask(this.#answerProbes);
        }
        return;
    }
    this.#armExpiry();
  }

  #answerQueuedProbes(): void {
    this.#answerQueued = false;
    if (this.#state !== State.Running) return;
    this.stats.probesAnswered++;
    this.#sendHeartbeat();
  }

  /** Arms the expiry timer unless armed: a new deadline is never earlier than an armed one (see module doc). */
  #armExpiry(): void {
    if (this.#expiryTimer !== undefined || this.#state !== State.Running) return;
    const next = this.#table.nextDeadlineMs();
    if (next === Number.POSITIVE_INFINITY) return;
    this.#expiryTimer = this.#o.clock.setTimeout(this.#onExpiryTimer, Math.max(0, next - this.#o.clock.now()));
  }

  #expiryTick(): void {
    this.#expiryTimer = undefined;
    if (this.#state !== State.Running) return;
    for (const change of this.#table.tick(this.#o.clock.now())) this.#apply(change);
    this.#armExpiry();
  }

  #apply(change: MemberChange | undefined): void {
    if (change === undefined) return;
    this.#view.apply(change);
    const event = membershipEventOf(change);
    if (event === undefined) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#report(toLucentError(error, `membership listener (${event.type})`));
      }
    }
  }

  /**
   * Reported once per other process (incarnation): it heartbeats every interval, and a line per heartbeat would
   * bury the logs while saying nothing new.
   */
  #duplicateId(otherIncarnation: number): void {
    if (this.#duplicatesReported.has(otherIncarnation)) return;
    this.#duplicatesReported.add(otherIncarnation);
    const reason = `another process (incarnation ${otherIncarnation}) heartbeats as '${this.nodeId}'`;
    this.#report(new ConfigError({ subject: 'Membership', field: 'nodeId', reason }));
  }

  #report(error: LucentError): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // An error listener that throws has nowhere left to report to.
      }
    }
  }

  #name(): string {
    return this.nodeId === '' ? 'membership observer' : this.nodeId;
  }
}
