/**
 * The deployed versions' call counters across the cluster, for `lucent functions`: every node answers a request
 * on `lucent.<cluster>.registry.stats` with its counters; the CLI asks twice, a second apart, and turns the
 * differences into calls/s and an error rate per version.
 *
 * ```
 *  CLI ─► request-many (wait) ─► each node: { node, counters: [{ ref, calls, errors }] } (JSON: rare, read by tools)
 *  rate(ref) = Σ nodes Δcalls / Δt        error rate(ref) = Σ Δerrors / Σ Δcalls
 * ```
 * The request carries nothing and changes nothing on a node.
 */
import { registryStatsSubject } from '@lucent/core/internal';
import { type NatsConnection, RequestStrategy, type Subscription } from 'nats';
import type { VersionCounters } from './deployed-functions.js';

/** One node's answer. */
export interface NodeRegistryStats {
  readonly node: string;
  readonly counters: readonly VersionCounters[];
}

/** Calls/s and error rate of one deployed version over a sampling window, summed over the nodes. */
export interface VersionRate {
  readonly callsPerSecond: number;
  /** Failed / all calls in the window; 0 without calls. */
  readonly errorRate: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Answers stats requests with `counters()` until the returned subscription is unsubscribed. */
export function serveRegistryStats(
  nc: NatsConnection,
  cluster: string,
  node: string,
  counters: () => readonly VersionCounters[],
): Subscription {
  return nc.subscribe(registryStatsSubject(cluster), {
    callback: (error, msg) => {
      if (error !== null) return;
      const stats: NodeRegistryStats = { node, counters: counters() };
      msg.respond(encoder.encode(JSON.stringify(stats)));
    },
  });
}

/** Every node's answer within `waitMs`. Answers that do not decode are skipped. */
export async function collectRegistryStats(
  nc: NatsConnection,
  cluster: string,
  waitMs: number,
): Promise<NodeRegistryStats[]> {
  const answers: NodeRegistryStats[] = [];
  const replies = await nc.requestMany(registryStatsSubject(cluster), new Uint8Array(0), {
    strategy: RequestStrategy.Timer,
    maxWait: waitMs,
  });
  for await (const reply of replies) {
    try {
      const stats = JSON.parse(decoder.decode(reply.data)) as NodeRegistryStats;
      if (typeof stats.node === 'string' && Array.isArray(stats.counters)) answers.push(stats);
    } catch {
      // Not a stats answer (another responder on the subject): skipped.
    }
  }
  return answers;
}

/** Rates per deployed version (`name@version`) between two samples taken `elapsedMs` apart. Pure. */
export function versionRates(
  before: readonly NodeRegistryStats[],
  after: readonly NodeRegistryStats[],
  elapsedMs: number,
): Map<string, VersionRate> {
  const earlier = new Map<string, VersionCounters>();
  for (const stats of before) for (const c of stats.counters) earlier.set(`${stats.node} ${c.ref}`, c);
  const sums = new Map<string, { calls: number; errors: number }>();
  for (const stats of after) {
    for (const c of stats.counters) {
      const prior = earlier.get(`${stats.node} ${c.ref}`);
      const sum = sums.get(c.ref) ?? { calls: 0, errors: 0 };
      sum.calls += Math.max(0, c.calls - (prior?.calls ?? 0));
      sum.errors += Math.max(0, c.errors - (prior?.errors ?? 0));
      sums.set(c.ref, sum);
    }
  }
  const rates = new Map<string, VersionRate>();
  for (const [ref, sum] of sums) {
    rates.set(ref, {
      callsPerSecond: elapsedMs > 0 ? (sum.calls * 1000) / elapsedMs : 0,
      errorRate: sum.calls > 0 ? sum.errors / sum.calls : 0,
    });
  }
  return rates;
}
