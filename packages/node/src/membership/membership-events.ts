/**
 * What `Membership` tells its listeners: a closed set of events discriminated on `type`. Load updates are not
 * events (they come with every heartbeat); read them from `Membership.view`.
 */
import type { LucentError } from '@lucent/core/internal';
import { type MemberChange, MemberChangeType, type MemberRecord } from './membership-table.js';

/** Event types. */
export const MembershipEventType = {
  /** A member appeared (including this process's own member when it starts). */
  Joined: 'member.joined',
  /** A member left on purpose (it sent a leave). */
  Left: 'member.left',
  /** A member was silent for `deadAfterMs` and was removed. */
  Died: 'member.died',
  /** A member's tags or ring weight changed. */
  Updated: 'member.updated',
  /** A new run (incarnation) of a member replaced the previous one before it was declared dead. */
  Restarted: 'member.restarted',
} as const;

export type MembershipEventType = (typeof MembershipEventType)[keyof typeof MembershipEventType];

/** One membership event. `previous` is the replaced record for `updated` and `restarted`, else `undefined`. */
export interface MembershipEvent {
  readonly type: MembershipEventType;
  readonly member: MemberRecord;
  readonly previous: MemberRecord | undefined;
}

/** Receives events synchronously, in the order the changes happened. */
export type MembershipEventListener = (event: MembershipEvent) => void;

/**
 * Receives problems that do not stop membership: a malformed message (`DecodeError`), another process
 * heartbeating with this node's id (`ConfigError`), a heartbeat that could not be sent, or the transport
 * closing under a running membership (`ShuttingDownError`, after which it stops heartbeating).
 */
export type MembershipErrorListener = (error: LucentError) => void;

const EVENT_OF_CHANGE: Readonly<Record<MemberChangeType, MembershipEventType | undefined>> = {
  [MemberChangeType.Joined]: MembershipEventType.Joined,
  [MemberChangeType.Left]: MembershipEventType.Left,
  [MemberChangeType.Died]: MembershipEventType.Died,
  [MemberChangeType.Updated]: MembershipEventType.Updated,
  [MemberChangeType.Restarted]: MembershipEventType.Restarted,
  [MemberChangeType.LoadUpdated]: undefined,
};

/** The event for a table change, or `undefined` for a load update. */
export function membershipEventOf(change: MemberChange): MembershipEvent | undefined {
  const type = EVENT_OF_CHANGE[change.type];
  return type === undefined ? undefined : { type, member: change.member, previous: change.previous };
}
