/**
 * The demo's traffic, the same whether the shards are processes on NATS or nodes in this process: keyed calls
 * (which shard served each account), latency percentiles, order actors (tell and ask) and an event.
 */
import type { ClusterClient } from '@lucent/node';
import type { OrderContext } from './actors.js';
import { order } from './actors.js';
import { type PortfolioInput, type PortfolioValue, pricePortfolio } from './functions.js';
import { type RefusalCount, waitingOutOverload } from './overload-retry.js';

export interface TrafficOptions {
  readonly cluster: ClusterClient;
  readonly clusterName: string;
  /** Shard id of a serving pid; `undefined` when every shard shares this process's pid. */
  readonly shardOfPid: ReadonlyMap<number, string> | undefined;
  readonly print: (line: string) => void;
}

const POSITIONS = [
  { symbol: 'ACME', qty: 120, price: 31.5 },
  { symbol: 'GLOBX', qty: 40, price: 212.0 },
  { symbol: 'INITECH', qty: 300, price: 7.25 },
];

function percentiles(samplesMs: number[]): string {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (p: number) => (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0).toFixed(2);
  return `p50 ${at(0.5)} ms · p90 ${at(0.9)} ms · p99 ${at(0.99)} ms (n=${sorted.length})`;
}

async function timed<T>(run: () => Promise<T>, into: number[]): Promise<T> {
  const started = performance.now();
  const value = await run();
  into.push(performance.now() - started);
  return value;
}

/** Runs every step and prints what happened. Rejects if a call fails (the demo then exits non-zero). */
export async function runTraffic(options: TrafficOptions): Promise<void> {
  const { cluster, print } = options;
  const client = cluster.client;
  const ring = cluster.view.ring;
  // Every pricePortfolio call goes to its account's owner, waiting out an overloaded one (overload-retry.ts).
  const refusals: RefusalCount = { count: 0 };
  const price = (input: PortfolioInput) => waitingOutOverload(() => client.call(pricePortfolio, input), refusals);
  const servedBy = (value: PortfolioValue, account: string): string =>
    options.shardOfPid?.get(value.pid) ?? `${ring.owner(account)} (ring owner)`;

  print('\n1. Keyed calls: pricePortfolio is sharded by account; each account is priced on its owner');
  const perShard = new Map<string, number>();
  let placedOnOwner = 0;
  const accounts = Array.from({ length: 24 }, (_, i) => `acct-${i}`);
  const values = await Promise.all(accounts.map((account) => price({ account, positions: POSITIONS, scenarios: 200 })));
  values.forEach((value, i) => {
    const account = accounts[i] as string;
    const shard = servedBy(value, account);
    perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
    if (shard.startsWith(ring.owner(account))) placedOnOwner++;
    if (i < 4) print(`   ${account} → ${shard}: mean ${value.mean.toFixed(0)}, 5th percentile ${value.p5.toFixed(0)}`);
  });
  print(`   per shard: ${[...perShard].map(([shard, n]) => `${shard}=${n}`).join(', ')}`);
  // In one process every shard has this pid: the owner is then the placement, not a measurement.
  if (options.shardOfPid !== undefined) print(`   served on the ring owner: ${placedOnOwner}/${accounts.length}`);

  print('\n2. Latency of pricePortfolio (200 scenarios, CPU in the shard worker pools)');
  const sequential: number[] = [];
  for (let i = 0; i < 200; i++) {
    const input = { account: `acct-${i % 24}`, positions: POSITIONS, scenarios: 200 };
    await timed(() => price(input), sequential);
  }
  print(`   one at a time:   ${percentiles(sequential)}`);
  const concurrent: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      timed(() => price({ account: `acct-${i}`, positions: POSITIONS, scenarios: 200 }), concurrent),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  print(`   1000 at once:    ${percentiles(concurrent)}, ${(1000 / seconds).toFixed(0)} calls/s`);
  if (refusals.count > 0)
    print(`   (an overloaded owner said "retry after" ${refusals.count} times; each was retried)`);

  print('\n3. Order actors: each order id lives on one shard; tells are one-way, asks reply with the context');
  const asks: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const id = `ord-${i}`;
    const handle = client.actor(order, id);
    for (let fill = 0; fill < 9; fill++) handle.tell({ type: 'fill', qty: 10 });
    const status = (await timed(() => handle.ask({ type: 'fill', qty: 10 }), asks)) as OrderContext;
    print(
      `   order/${id} on ${ring.owner(handle.key)}: filled ${status.filled}/${status.qty} in ${status.fills} fills`,
    );
  }
  for (let i = 0; i < 100; i++)
    await timed(() => client.actor(order, `ord-${1 + (i % 5)}`).ask({ type: 'status' }), asks);
  print(`   ask latency:     ${percentiles(asks)}`);

  print('\n4. An event: OrderPlaced runs auditOrder once in the cluster, which publishes auditOrderCompleted');
  const completed: { orderId: string; pid: number }[] = [];
  // Every auditOrderCompleted from now on, with its correlation and causation ids (the emitted event's id).
  const subscription = client.on<{ orderId: string; pid: number }>('auditOrderCompleted', (e) =>
    completed.push(e.data),
  );
  await client.transport.flush();
  await client.emit('OrderPlaced', { orderId: 'ord-1', qty: 100 }); // resolves once the event stream stored it
  for (let i = 0; i < 100 && completed.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  subscription.close();
  for (const done of completed) {
    const shard = options.shardOfPid?.get(done.pid) ?? 'a shard in this process';
    print(`   auditOrderCompleted for ${done.orderId}, audited on ${shard}`);
  }
  if (completed.length === 0) print('   (no auditOrderCompleted within 2 s)');
}
