/**
 * What the `lucent` admin CLI prints, as pure functions of what it read: rows for `lucent nodes`, the answer of
 * `lucent ring`, dead-letter rows, error lines. Tables are drawn with `cli-table3`; `--json` prints the same
 * records as JSON. No I/O here (see `admin-program.ts`).
 */
import { type ClusterView, type LoadReport, PlacementType, placeActor, placeKey } from '@lucent/core/internal';
import Table from 'cli-table3';
import type { DeadLetter } from '../events/dead-letter.js';
import type { MemberRecord } from '../membership/membership-table.js';

/** One live member as `lucent nodes` shows it: its load report's fields, and who it is. */
export interface NodeRow extends LoadReport {
  readonly id: string;
  readonly tags: readonly string[];
  /** Its incarnation (epoch ms of its start by default). */
  readonly incarnation: number;
  /** Milliseconds since its incarnation began, when the incarnation is an epoch time (else `undefined`). */
  readonly uptimeMs: number | undefined;
  readonly weight: number;
  /** The view's load score (0..1). */
  readonly loadScore: number;
  /** The modules it hosts (function and actor module names). */
  readonly modules: readonly string[];
}

/** Incarnations below this are not epoch milliseconds (2001-09-09): no uptime is derived from them. */
const EPOCH_MS_FLOOR = 1_000_000_000_000;

/** The rows of `lucent nodes`: the members of `records` that are in `view`, sorted by id. */
export function nodeRows(records: readonly MemberRecord[], view: ClusterView, wallNowMs: number): NodeRow[] {
  const rows: NodeRow[] = [];
  for (const record of records) {
    const member = view.byId.get(record.id);
    if (member === undefined) continue;
    const uptimeMs =
      record.incarnation >= EPOCH_MS_FLOOR && record.incarnation <= wallNowMs
        ? wallNowMs - record.incarnation
        : undefined;
    rows.push({
      id: record.id,
      tags: record.tags,
      incarnation: record.incarnation,
      uptimeMs,
      weight: member.weight,
      loadScore: member.loadScore,
      cpu: record.load.cpu,
      memory: record.load.memory,
      activeFunctions: record.load.activeFunctions,
      maxFunctions: record.load.maxFunctions,
      queueDepth: record.load.queueDepth,
      maxQueue: record.load.maxQueue,
      modules: record.modules,
    });
  }
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Table borders without horizontal lines inside (compact: one line per row). */
const NO_ROW_LINES = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

/** `83 %` for a 0..1 fraction. */
function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

/** `3h 04m`, `2m 05s`, `12s`; `-` when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** `lucent nodes` as a table (with a line for an empty cluster). */
export function nodesTable(rows: readonly NodeRow[]): string {
  if (rows.length === 0) return 'no live nodes';
  const table = new Table({
    head: ['node', 'tags', 'uptime', 'load', 'cpu', 'memory', 'functions', 'queue', 'incarnation'],
    style: { head: [], border: [] },
    chars: NO_ROW_LINES,
  });
  for (const row of rows) {
    table.push([
      row.id,
      row.tags.join(',') || '-',
      formatDuration(row.uptimeMs),
      percent(row.loadScore),
      percent(row.cpu),
      percent(row.memory),
      `${row.activeFunctions}/${row.maxFunctions}`,
      `${row.queueDepth}/${row.maxQueue}`,
      String(row.incarnation),
    ]);
  }
  return table.toString();
}

/** The answer of `lucent ring --key k`. */
export interface RingAnswer {
  readonly key: string;
  /** The owning node, `undefined` when the view has no members. */
  readonly owner: string | undefined;
  /** Live members the ring was built from. */
  readonly members: number;
}

/**
 * Who owns ring key `key` (an actor's `type/id`, or a keyed function's shard key value: both are placed by
 * their ring owner), by core's placement. A `type/id` of an actor type some node hosts is placed on that type's
 * ring (its hosts only).
 */
export function ringAnswer(key: string, view: ClusterView): RingAnswer {
  const slash = key.indexOf('/');
  const group = slash > 0 ? `actor:${key.slice(0, slash)}` : '';
  const isActor = group !== '' && view.members.some((member) => member.modules?.includes(group) === true);
  const placement = isActor ? placeActor(key, view) : placeKey(key, view);
  return {
    key,
    owner: placement.type === PlacementType.Node ? placement.node : undefined,
    members: view.members.length,
  };
}

/** `lucent ring` as one line. */
export function ringLine(answer: RingAnswer): string {
  if (answer.owner === undefined) return `${answer.key}: no live nodes`;
  return `${answer.key} -> ${answer.owner} (of ${answer.members} node${answer.members === 1 ? '' : 's'})`;
}

/** A dead letter as `lucent events dlq list` shows it (the original event decoded, its bytes left out). */
export interface DeadLetterRow {
  readonly id: number;
  readonly consumer: string;
  readonly functionName: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly attempts: number;
  readonly error: { readonly code: string; readonly message: string };
  /** ISO time when it was dead-lettered. */
  readonly failedAt: string;
  readonly node: string;
  readonly payload: unknown;
}

/** {@link DeadLetterRow}s of `letters`. */
export function deadLetterRows(letters: readonly DeadLetter[]): DeadLetterRow[] {
  return letters.map((letter) => ({
    id: letter.id,
    consumer: letter.consumer,
    functionName: letter.functionName,
    eventType: letter.eventType,
    eventId: letter.eventId,
    attempts: letter.attempts,
    error: { code: letter.error.code, message: letter.error.message },
    failedAt: new Date(letter.failedAt).toISOString(),
    node: letter.node,
    payload: letter.event?.payload,
  }));
}

/** `lucent events dlq list` as a table (with a line when there are none). */
export function deadLettersTable(rows: readonly DeadLetterRow[]): string {
  if (rows.length === 0) return 'no dead letters';
  const table = new Table({
    head: ['id', 'consumer', 'event id', 'attempts', 'error', 'failed at', 'node'],
    style: { head: [], border: [] },
    chars: NO_ROW_LINES,
  });
  for (const row of rows) {
    table.push([
      String(row.id),
      row.consumer,
      row.eventId || '-',
      String(row.attempts),
      `${row.error.code}: ${row.error.message}`,
      row.failedAt,
      row.node,
    ]);
  }
  return table.toString();
}

/** A value printed by `call`/`ask`: JSON, indented unless `compact`; `undefined` prints as `null`. */
export function jsonText(value: unknown, compact: boolean): string {
  return JSON.stringify(value ?? null, null, compact ? undefined : 2);
}

/**
 * The stderr line of a failed command: `lucent: <CODE>: <message>` for a Lucent error (anything with a string
 * `code`), else `lucent: <message>`.
 */
export function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `lucent: ${code}: ${error.message}` : `lucent: ${error.message}`;
  }
  return `lucent: ${String(error)}`;
}
