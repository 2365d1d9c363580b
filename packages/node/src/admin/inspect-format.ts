/**
 * What `lucent status`, `lucent actors` and `lucent actor` print (tables with cli-table3, or the same rows as JSON).
 * Pure: answers in, text out.
 */
import type { ActorInspection } from '@lucent/actors/internal';
import Table from 'cli-table3';
import type { ActorAnswer, NodeStatus } from '../admin-service/admin-protocol.js';
import type { NatsServerInfo } from '../transport/nats-server-info.js';
import { formatDuration } from './admin-format.js';

/** One node's line of `lucent status`: its own answer, plus what membership says of it. */
export interface StatusRow {
  readonly node: string;
  readonly tags: readonly string[];
  readonly version: string;
  readonly uptimeMs: number | undefined;
  readonly ready: boolean;
  readonly load: number;
  /** Requests served per second over the health window. */
  readonly callsPerSecond: number;
  readonly errorRate: number;
  readonly activeActors: number;
  /** Share of the hash ring (0..1). */
  readonly ringShare: number;
  /** The node's ring weight (1 = full share; lower while it sheds load, higher while it takes a hot peer's). */
  readonly ringWeight: number;
  /** Stayed below 0.2 load for the consolidation window: it could be drained without losing capacity. */
  readonly scaleInCandidate: boolean;
  readonly healthy: boolean;
  /** Set when the node did not answer its admin request. */
  readonly error?: string;
}

export interface ClusterStatus {
  readonly cluster: string;
  readonly nats: NatsServerInfo;
  readonly nodes: readonly StatusRow[];
}

/** A status row from a node's answer (or its failure) and membership's load and ring share. */
export function statusRow(
  node: string,
  tags: readonly string[],
  load: number,
  ringShare: number,
  answer: NodeStatus | Error,
): StatusRow {
  if (answer instanceof Error) {
    return {
      node,
      tags,
      version: '-',
      uptimeMs: undefined,
      ready: false,
      load,
      callsPerSecond: 0,
      errorRate: 0,
      activeActors: 0,
      ringShare,
      ringWeight: 1,
      scaleInCandidate: false,
      healthy: false,
      error: answer.message,
    };
  }
  const { health } = answer;
  return {
    node,
    tags,
    version: answer.version,
    uptimeMs: answer.uptimeMs,
    ready: answer.ready,
    load,
    callsPerSecond: health.requests / (health.windowMs / 1000),
    errorRate: health.errorRate,
    activeActors: answer.activeActors,
    ringShare,
    ringWeight: answer.ringWeight ?? 1,
    scaleInCandidate: answer.scaleInCandidate ?? false,
    healthy: health.healthy,
  };
}

const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10} %`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

/** `lucent status` for people. */
export function statusText(status: ClusterStatus): string {
  const { nats } = status;
  const js =
    nats.jetstream === undefined
      ? 'JetStream: not available'
      : `JetStream: ${nats.jetstream.streams} streams, ${nats.jetstream.consumers} consumers, ` +
        `${bytes(nats.jetstream.storageBytes)} stored, ${bytes(nats.jetstream.memoryBytes)} in memory`;
  const lines = [`cluster ${status.cluster} · NATS ${nats.version} at ${nats.server} · ${js}`];
  if (status.nodes.length === 0) return `${lines[0]}\nno live nodes`;
  const table = new Table({
    head: [
      ...['node', 'tags', 'version', 'uptime', 'ready', 'health', 'load', 'calls/s', 'errors', 'actors', 'ring'],
      ...['weight', 'scale-in'],
    ],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const row of status.nodes) {
    table.push([
      row.node,
      row.tags.join(',') || '-',
      row.version,
      formatDuration(row.uptimeMs),
      row.error === undefined ? (row.ready ? 'yes' : 'no') : '?',
      row.error === undefined ? (row.healthy ? 'ok' : 'UNHEALTHY') : `no answer: ${row.error}`,
      percent(row.load),
      row.callsPerSecond.toFixed(1),
      percent(row.errorRate),
      String(row.activeActors),
      percent(row.ringShare),
      String(Math.round(row.ringWeight * 100) / 100),
      row.scaleInCandidate ? 'candidate' : '-',
    ]);
  }
  lines.push(table.toString());
  return lines.join('\n');
}

/** One active actor as `lucent actors` lists it. */
export interface ActorRow {
  readonly node: string;
  readonly id: string;
  readonly status: string;
  readonly state: unknown;
  readonly mailboxSize: number;
  readonly savedRevision: number | null;
}

export function actorRows(node: string, actors: readonly ActorInspection[]): ActorRow[] {
  return actors.map((actor) => ({
    node,
    id: actor.id,
    status: actor.status,
    state: actor.state,
    mailboxSize: actor.mailboxSize,
    savedRevision: actor.savedRevision,
  }));
}

export function actorsTable(type: string, rows: readonly ActorRow[]): string {
  if (rows.length === 0) return `no active ${type} actors`;
  const table = new Table({
    head: ['id', 'node', 'phase', 'state', 'mailbox', 'revision'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const row of sorted) {
    table.push([
      row.id,
      row.node,
      row.status,
      row.state === undefined ? '-' : JSON.stringify(row.state),
      String(row.mailboxSize),
      row.savedRevision === null ? '-' : String(row.savedRevision),
    ]);
  }
  return table.toString();
}

/** `lucent actor <type> <id>` for people: where it lives, its phase and state, its context, what is stored. */
export function actorText(key: string, answer: ActorAnswer): string {
  const lines = [`${key} on ${answer.node}`];
  const active = answer.active;
  if (active === null) lines.push('  not active (passive: its state is stored, it activates on the next message)');
  else {
    lines.push(`  phase    ${active.status}`);
    lines.push(`  state    ${active.state === undefined ? '-' : JSON.stringify(active.state)}`);
    lines.push(`  mailbox  ${active.mailboxSize}`);
    lines.push(`  context  ${JSON.stringify(active.context)}`);
  }
  if (answer.stored === null) lines.push('  stored   nothing yet');
  else lines.push(`  stored   revision ${answer.stored.revision}: ${JSON.stringify(answer.stored.snapshot)}`);
  return lines.join('\n');
}
