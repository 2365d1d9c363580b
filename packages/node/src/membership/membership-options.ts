/**
 * Options of `Membership`, their defaults and their validation, apart from the shell so the rules read in one
 * place. Every time is in milliseconds of the injected `Clock`.
 */
import {
  type Clock,
  type ClusterViewOptions,
  ConfigError,
  DEFAULT_CLUSTER,
  EnvelopeCodec,
  type LoadReport,
  membershipSubject,
  nodeSubject,
  systemClock,
} from '@lucent/core/internal';
import type { Transport } from '../transport/transport.js';

/** A member heartbeats and is part of the ring; an observer (a client) only watches. */
export const MembershipRole = {
  Member: 'member',
  Observer: 'observer',
} as const;

export type MembershipRole = (typeof MembershipRole)[keyof typeof MembershipRole];

/** Default {@link MembershipOptions.heartbeatIntervalMs}. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;

/** Default {@link MembershipOptions.deadAfterMs}, in heartbeat intervals: two heartbeats may be lost. */
export const DEFAULT_DEAD_AFTER_INTERVALS = 3;

/** The load a member reports when no `load` provider is given: idle, with room (load score 0). */
export const IDLE_LOAD: LoadReport = Object.freeze({
  cpu: 0,
  memory: 0,
  activeFunctions: 0,
  maxFunctions: 1,
  queueDepth: 0,
  maxQueue: 1,
});

export interface MembershipOptions {
  /** The connection to heartbeat and listen on. Membership never closes it. */
  readonly transport: Transport;
  /** Default `member`. */
  readonly role?: MembershipRole;
  /** This node's id; required for a member, ignored for an observer. One subject token (`[A-Za-z0-9_-]+`). */
  readonly nodeId?: string;
  /** Cluster name used in the subject (default `lucent`). */
  readonly cluster?: string;
  /** Specializations this member serves (for `pin` and `range` routing). Default none. */
  readonly tags?: readonly string[];
  /** This member's share of the hash ring. Default 1. */
  readonly weight?: number;
  /** Called at every heartbeat for the load to report. Default: {@link IDLE_LOAD}. Must not throw. */
  readonly load?: () => LoadReport;
  /** Time between two heartbeats of this member. Default 1000. */
  readonly heartbeatIntervalMs?: number;
  /**
   * A member silent this long is removed. Must exceed `heartbeatIntervalMs`; every process of a cluster should
   * use the same value, or their views disagree for the difference. Default 3 × `heartbeatIntervalMs`.
   */
  readonly deadAfterMs?: number;
  /** Time source of heartbeats and deaths (monotonic `now()`) and of the default incarnation (`wallNow()`). Default `systemClock`. */
  readonly clock?: Clock;
  /** Codec of the wire messages. Default: a new `EnvelopeCodec`. */
  readonly codec?: EnvelopeCodec;
  /** This run's incarnation: must grow across restarts of one node id. Default the clock's `wallNow()` at construction. */
  readonly incarnation?: number;
  /** How views are built (ring vnodes, load weights). */
  readonly view?: ClusterViewOptions;
}

/** {@link MembershipOptions} with defaults applied and checked. */
export interface ResolvedMembershipOptions {
  readonly transport: Transport;
  readonly role: MembershipRole;
  /** `''` for an observer. */
  readonly nodeId: string;
  readonly subject: string;
  readonly tags: readonly string[];
  readonly weight: number;
  readonly load: () => LoadReport;
  readonly heartbeatIntervalMs: number;
  readonly deadAfterMs: number;
  readonly clock: Clock;
  readonly codec: EnvelopeCodec;
  readonly incarnation: number;
  readonly view: ClusterViewOptions;
}

const idleLoad = (): LoadReport => IDLE_LOAD;

/**
 * Applies defaults and checks the options. Throws `ConfigError` for a member without a valid `nodeId`, an
 * invalid cluster name, a non-positive or non-finite time or weight, a `deadAfterMs` not above
 * `heartbeatIntervalMs`, a negative incarnation or a tag that is not a string.
 */
export function resolveMembershipOptions(options: MembershipOptions): ResolvedMembershipOptions {
  const role = options.role ?? MembershipRole.Member;
  const cluster = options.cluster ?? DEFAULT_CLUSTER;
  const subject = membershipSubject(cluster);
  let nodeId = '';
  if (role === MembershipRole.Member) {
    if (options.nodeId === undefined) fail('nodeId', 'a member needs a node id');
    nodeSubject(cluster, options.nodeId); // throws ConfigError unless the id is one subject token
    nodeId = options.nodeId;
  } else if (role !== MembershipRole.Observer) fail('role', `'${String(role)}' is not member or observer`);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  positive('heartbeatIntervalMs', heartbeatIntervalMs);
  const deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_INTERVALS * heartbeatIntervalMs;
  positive('deadAfterMs', deadAfterMs);
  if (deadAfterMs <= heartbeatIntervalMs) fail('deadAfterMs', 'must exceed heartbeatIntervalMs');
  const weight = options.weight ?? 1;
  positive('weight', weight);
  const clock = options.clock ?? systemClock;
  const incarnation = options.incarnation ?? clock.wallNow();
  if (!Number.isFinite(incarnation) || incarnation < 0) fail('incarnation', 'must be a finite number >= 0');
  const tags = options.tags ?? [];
  for (const tag of tags) if (typeof tag !== 'string') fail('tags', 'every tag must be a string');
  return {
    transport: options.transport,
    role,
    nodeId,
    subject,
    tags: Object.freeze([...tags]),
    weight,
    load: options.load ?? idleLoad,
    heartbeatIntervalMs,
    deadAfterMs,
    clock,
    codec: options.codec ?? new EnvelopeCodec(),
    incarnation,
    view: options.view ?? {},
  };
}

function positive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(field, 'must be positive and finite');
}

function fail(field: string, reason: string): never {
  throw new ConfigError({ subject: 'Membership', field, reason });
}
