/**
 * Fan-out calls of one pure function: `scatter` runs one input on every matching shard, `gather` runs many inputs
 * with one request per shard. Both travel as batch envelopes (`EnvelopeKind.Batch`), which a node serves where
 * they land (a pure function runs the same anywhere) by handing every item to its pool in one pass.
 *
 * ```
 *  scatter(def, input, { shards })   hosts of def (all, or carrying the tag) ─► [input] to each ─► per-shard results
 *  gather(def, inputs)               placeFunction per input ─► group by shard (unkeyed: spread evenly)
 *                                    ─► one batch per shard ─► values put back in input order
 *  partial failure                   'fail' (default): PartialFailureError listing every failure
 *                                    'collect': results plus errors
 * ```
 * A shard that does not answer within the timeout (or is gone) fails the items sent to it. No retries: the policy
 * decides what a partial failure means. Items of a batch do not publish the events they `ctx.emit` (they share
 * one request id, from which event ids derive).
 */
import {
  type BatchOutcome,
  batchEnvelope,
  type Clock,
  type ClusterView,
  type EnvelopeCodec,
  EnvelopeKind,
  errorFromWire,
  type FunctionDefinition,
  functionHostsView,
  type LucentError,
  PartialFailureError,
  PlacementType,
  placeFunction,
  RoutingError,
  type SubjectCache,
  toLucentError,
  type WireError,
} from '@lucent/core/internal';
import type { Transport } from '../transport/transport.js';

/** What to do when some parts fail: reject (`'fail'`), or resolve with results plus errors (`'collect'`). */
export type PartialFailurePolicy = 'fail' | 'collect';

/** Options of `client.scatter`. */
export interface ScatterOptions<O, R> {
  /** `'all'` (default) or a tag: only shards started with it (`--tags`). */
  readonly shards?: 'all' | string;
  /** Folds the per-shard results (and, under `'collect'`, the errors) into the call's result. */
  readonly aggregate?: (results: readonly ShardResult<O>[], errors: readonly ShardError[]) => R;
  /** Deadline of the whole scatter (default: the client's timeout). */
  readonly timeoutMs?: number;
  readonly partial?: PartialFailurePolicy;
}

/** One shard's result. */
export interface ShardResult<O> {
  readonly shard: string;
  readonly value: O;
}

/** One shard's failure. */
export interface ShardError {
  readonly shard: string;
  readonly error: LucentError;
}

/** A scatter's outcome without `aggregate`: results by shard (id order) and, under `'collect'`, errors. */
export interface ScatterResult<O> {
  readonly results: ShardResult<O>[];
  readonly errors: ShardError[];
}

/** Options of `client.gather`. */
export interface GatherOptions {
  /** Deadline of the whole gather (default: the client's timeout). */
  readonly timeoutMs?: number;
  readonly partial?: PartialFailurePolicy;
}

/** A gather's outcome under `'collect'`: `values[i]` for input `i` (`undefined` where it failed), and the errors. */
export interface GatherResult<O> {
  readonly values: (O | undefined)[];
  readonly errors: { readonly index: number; readonly error: LucentError }[];
}

/** What scatter-gather needs from the client. */
export interface FanOutContext {
  readonly transport: Transport;
  readonly codec: EnvelopeCodec;
  readonly subjects: SubjectCache;
  readonly clock: Clock;
  readonly origin: string;
  readonly view: ClusterView | undefined;
}

/** Sends `inputs` to `node` as one batch and resolves with its outcome (never rejects: a failure fails every item). */
async function sendBatch(
  ctx: FanOutContext,
  definition: FunctionDefinition,
  node: string,
  inputs: readonly unknown[],
  timeoutMs: number,
): Promise<BatchOutcome> {
  try {
    const envelope = batchEnvelope(definition.name, inputs, {
      deadline: ctx.clock.wallNow() + timeoutMs,
      origin: ctx.origin,
    });
    const answer = await ctx.transport.request(
      ctx.subjects.node(node),
      ctx.codec.encode(envelope),
      timeoutMs,
      definition.name,
    );
    const decoded = ctx.codec.decode(answer);
    if (decoded.kind === EnvelopeKind.Error) throw errorFromWire(decoded.payload as WireError);
    return decoded.payload as BatchOutcome;
  } catch (thrown) {
    const wire = toLucentError(thrown, definition.name).toWire(node);
    return { values: [], errors: new Array<WireError | null>(inputs.length).fill(wire) };
  }
}

function needView(ctx: FanOutContext, target: string): ClusterView {
  const view = ctx.view;
  if (view !== undefined && view.members.length > 0) return view;
  const reason = 'scatter and gather place by the cluster view: connect with connectCluster and wait for members';
  throw new RoutingError({ target, field: 'view', reason }, { message: reason });
}

/** See the module doc. Rejects with `RoutingError` (no view, or no shard carries the tag) or `PartialFailureError`. */
export async function scatter<O, R>(
  ctx: FanOutContext,
  definition: FunctionDefinition,
  input: unknown,
  options: ScatterOptions<O, R>,
  timeoutMs: number,
): Promise<ScatterResult<O> | R> {
  const view = needView(ctx, definition.name);
  const selector = options.shards ?? 'all';
  // Only the members that host the function (all of them when every member hosts the same).
  const hosts = functionHostsView(view, definition.name);
  const members = selector === 'all' ? hosts.members : (hosts.byTag.get(selector) ?? []);
  if (members.length === 0) {
    const reason = `no shard carries the tag '${selector}'`;
    throw new RoutingError({ target: definition.name, field: 'shards', reason }, { message: reason });
  }
  const outcomes = await Promise.all(
    members.map((member) => sendBatch(ctx, definition, member.id, [input], timeoutMs)),
  );
  const results: ShardResult<O>[] = [];
  const errors: ShardError[] = [];
  for (let i = 0; i < members.length; i++) {
    const shard = members[i]!.id;
    const wire = outcomes[i]!.errors?.[0] ?? null;
    if (wire === null) results.push({ shard, value: outcomes[i]!.values[0] as O });
    else errors.push({ shard, error: errorFromWire(wire) });
  }
  if (errors.length > 0 && (options.partial ?? 'fail') === 'fail') {
    throw partialFailure(
      definition.name,
      members.length,
      errors.map((e) => ({ ...e.error.toWire(), index: members.findIndex((m) => m.id === e.shard), shard: e.shard })),
    );
  }
  return options.aggregate === undefined ? { results, errors } : options.aggregate(results, errors);
}

/** See the module doc. Rejects with `RoutingError` (no view, an input without its shard key) or `PartialFailureError`. */
export async function gather<O>(
  ctx: FanOutContext,
  definition: FunctionDefinition,
  inputs: readonly unknown[],
  options: GatherOptions,
  timeoutMs: number,
): Promise<O[] | GatherResult<O>> {
  const view = needView(ctx, definition.name);
  // Input indexes per shard: keyed inputs by their ring owner, unkeyed ones dealt round robin.
  const groups = new Map<string, number[]>();
  const members = functionHostsView(view, definition.name).members;
  for (let i = 0; i < inputs.length; i++) {
    const placement = placeFunction(definition, inputs[i], view);
    const node = placement.type === PlacementType.Node ? placement.node : members[i % members.length]!.id;
    const group = groups.get(node);
    if (group === undefined) groups.set(node, [i]);
    else group.push(i);
  }
  const shards = [...groups.keys()];
  const outcomes = await Promise.all(
    shards.map((node) => {
      const indexes = groups.get(node)!;
      return sendBatch(
        ctx,
        definition,
        node,
        indexes.map((i) => inputs[i]),
        timeoutMs,
      );
    }),
  );
  const values = new Array<O | undefined>(inputs.length);
  const errors: { index: number; error: LucentError }[] = [];
  for (let s = 0; s < shards.length; s++) {
    const indexes = groups.get(shards[s]!)!;
    const outcome = outcomes[s]!;
    for (let k = 0; k < indexes.length; k++) {
      const wire = outcome.errors?.[k] ?? null;
      if (wire === null) values[indexes[k]!] = outcome.values[k] as O;
      else errors.push({ index: indexes[k]!, error: errorFromWire(wire) });
    }
  }
  errors.sort((a, b) => a.index - b.index);
  if ((options.partial ?? 'fail') === 'collect') return { values, errors };
  if (errors.length > 0) {
    throw partialFailure(
      definition.name,
      inputs.length,
      errors.map((e) => ({ ...e.error.toWire(), index: e.index })),
    );
  }
  return values as O[];
}

function partialFailure(
  target: string,
  total: number,
  errors: (WireError & { index: number; shard?: string })[],
): PartialFailureError {
  return new PartialFailureError({ target, failed: errors.length, total, errors });
}
