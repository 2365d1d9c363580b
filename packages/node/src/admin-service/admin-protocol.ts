/**
 * The admin protocol: what the `lucent` CLI and the dashboard ask one node on its admin subject
 * (`lucent.<cluster>.admin.<id>`), and what it answers. JSON, not msgpack: a few requests a second at most, and an
 * operator can read them off the wire with `nats sub`. Read-only except the lifecycle commands and `drain`.
 *
 * ```
 *  { op: 'status' }                          ─► NodeStatus
 *  { op: 'actors', type?, limit? }           ─► { node, total, actors: ActorInspection[] (without contexts) }
 *  { op: 'actor', type, id }                 ─► { node, active: ActorInspection | null, stored: StoredActor | null }
 *  { op: 'pause' | 'resume' | 'stop', type, id } ─► { node, changed, status }
 *  { op: 'drain' }                           ─► DrainReport, once every actor was handed off; then the node exits
 *  anything else                             ─► { error: { code, message } }
 * ```
 */
import type { ActorInspection } from '@lucent/actors/internal';
import { DecodeError, type LucentError } from '@lucent/core/internal';
import type { HealthVerdict } from '../http/health-policy.js';
import type { RouterStats } from '../router/router-observer.js';

export type AdminRequest =
  | { readonly op: 'status' }
  | { readonly op: 'actors'; readonly type?: string; readonly limit?: number }
  | { readonly op: 'actor'; readonly type: string; readonly id: string }
  | { readonly op: ActorCommand; readonly type: string; readonly id: string }
  | { readonly op: 'drain' };

/** The lifecycle commands an operator may send one actor. */
export const ACTOR_COMMANDS = ['pause', 'resume', 'stop'] as const;
export type ActorCommand = (typeof ACTOR_COMMANDS)[number];

export interface NodeStatus {
  readonly node: string;
  readonly cluster: string;
  readonly version: string;
  readonly tags: readonly string[];
  /** Epoch ms of the start. */
  readonly startedAt: number;
  readonly uptimeMs: number;
  readonly ready: boolean;
  readonly notReady?: string;
  readonly functions: readonly string[];
  readonly actorTypes: readonly string[];
  readonly activeActors: number;
  /** Active actors per type. */
  readonly actorCounts: Readonly<Record<string, number>>;
  /** Calls and failures per function since start. */
  readonly functionTotals: readonly { readonly name: string; readonly calls: number; readonly errors: number }[];
  readonly stats: RouterStats;
  readonly health: HealthVerdict;
  /** Rebalancing's part (absent on nodes that do not measure load). */
  readonly ringWeight?: number;
  readonly scaleInCandidate?: boolean;
}

/** What rebalancing adds to a node's status (`load/rebalancer.ts`). */
export interface RebalanceStatus {
  /** The node's ring weight (1 = its full share; below while it sheds, above while it takes load from a hot peer). */
  readonly ringWeight: number;
  /** True once the node stayed below 0.2 load for the consolidation window: it could be removed. */
  readonly scaleInCandidate: boolean;
}

/** An actor's stored snapshot as the state store holds it. */
export interface StoredActor {
  readonly revision: number;
  readonly snapshot: unknown;
}

export interface ActorsAnswer {
  readonly node: string;
  /** Active actors matching, before the limit. */
  readonly total: number;
  readonly actors: readonly ActorInspection[];
}

export interface ActorAnswer {
  readonly node: string;
  readonly active: ActorInspection | null;
  readonly stored: StoredActor | null;
}

export interface ActorCommandAnswer {
  readonly node: string;
  /** False when the command did not apply (not active, already paused, not paused). */
  readonly changed: boolean;
  /** The lifecycle status after the command; `null` when the actor is not active. */
  readonly status: string | null;
}

export interface AdminErrorAnswer {
  readonly error: { readonly code: string; readonly message: string };
}

/** At most this many actors per `actors` answer (the count says how many there are). */
export const DEFAULT_ACTORS_LIMIT = 1_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeAdmin(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Parses and checks a request. Throws `DecodeError` for anything that is not one. */
export function decodeAdminRequest(bytes: Uint8Array): AdminRequest {
  const invalid = (reason: string) => new DecodeError({ reason: `admin request: ${reason}`, byteLength: bytes.length });
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw invalid('not JSON');
  }
  if (typeof value !== 'object' || value === null) throw invalid('not an object');
  const request = value as Record<string, unknown>;
  switch (request.op) {
    case 'status':
      return { op: 'status' };
    case 'drain':
      return { op: 'drain' };
    case 'actors': {
      if (request.type !== undefined && typeof request.type !== 'string') throw invalid('type must be a string');
      const limit = request.limit;
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
        throw invalid('limit must be a non-negative integer');
      }
      return {
        op: 'actors',
        ...(request.type === undefined ? {} : { type: request.type as string }),
        ...(limit === undefined ? {} : { limit: limit as number }),
      };
    }
    case 'actor':
    case 'pause':
    case 'resume':
    case 'stop':
      if (typeof request.type !== 'string' || typeof request.id !== 'string') {
        throw invalid(`${request.op} needs a string type and id`);
      }
      return { op: request.op, type: request.type, id: request.id };
    default:
      throw invalid(`unknown op ${JSON.stringify(request.op)}`);
  }
}

/** Parses an answer; an error answer becomes a thrown error with its code. */
export function decodeAdminAnswer<T>(bytes: Uint8Array): T {
  const value = JSON.parse(decoder.decode(bytes)) as T | AdminErrorAnswer;
  if (typeof value === 'object' && value !== null && 'error' in value) {
    const { code, message } = (value as AdminErrorAnswer).error;
    throw Object.assign(new Error(message), { code });
  }
  return value as T;
}

export function adminErrorAnswer(error: LucentError): AdminErrorAnswer {
  return { error: { code: error.code, message: error.message } };
}
