/**
 * Declared resources through the built `lucent-node` (2 pool threads, `--pool-max-queue 5`) and the client,
 * on a real nats-server: a full pool queue refuses at once with `OverloadedError`; a `critical` function's
 * queued call overtakes `low` ones queued before it; `maxConcurrency: 1` keeps runs apart; a function that
 * outgrows its declared memory dies in its own worker while the node serves the rest; a `cpu: 'low'` function
 * runs on the main thread and moves to the pool, with one warning, when it turns slow.
 */
import { NAME_CALL_RETRY, OverloadedError, WorkerCrashedError } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterClient, connectCluster } from '../../src/index.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { fixture } from './cli-fixtures.js';

const processes = new NodeProcesses();
let server: NatsServerHandle;
let node: NodeProcess;
let httpPort: number;
let cluster: ClusterClient;

const CALL_TIMEOUT_MS = 20_000;
const call = <O>(name: string, input: unknown): Promise<O> =>
  cluster.client.call<O>(name, input, { timeoutMs: CALL_TIMEOUT_MS });

/** A pool gauge or counter of the node, read from `/metrics`. */
async function poolMetric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Polls until `read()` returns `want`, or fails after `timeoutMs`. */
async function until(what: string, read: () => Promise<number>, want: number, timeoutMs = 15_000): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value === want) return;
    if (Date.now() > giveUpAt) throw new Error(`${what}: still ${value}, wanted ${want}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Occupies both pool threads with `background` calls spinning `spinMs` and `otherSpinMs`; resolves once both run. */
async function occupyBothThreads(spinMs: number, otherSpinMs = spinMs): Promise<Promise<unknown>[]> {
  const busy = [call('background', { spinMs, tag: 'busy' }), call('background', { spinMs: otherSpinMs, tag: 'busy' })];
  await until('tasks in flight', () => poolMetric('lucent_pool_tasks_in_flight'), 2);
  return busy;
}

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  node = processes.start({
    args: [
      ...['--shard', 'res-1', '--nats', server.url, '--http-port', '0', '--threads', '2'],
      ...['--pool-max-queue', '5', '--functions', fixture('resource-functions.mjs')],
    ],
  });
  httpPort = (await node.waitForLog('node.ready', 30_000)).httpPort as number;
  cluster = await connectCluster({ servers: server.url });
  await cluster.waitForMembers(1);
}, 60_000);

afterAll(async () => {
  await cluster?.close();
  await processes.killAll();
  await server?.stop();
});

describe('lucent-node honours declared resources', () => {
  it('refuses calls past --pool-max-queue at once with OverloadedError, and counts them', async () => {
    const busy = await occupyBothThreads(1_500);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('background', { tag: i }).then(
          () => ({ ok: true, at: Date.now(), error: null as unknown }),
          (error: unknown) => ({ ok: false, at: Date.now(), error }),
        ),
      ),
    );
    const refused = outcomes.filter((o) => !o.ok);
    const busyDoneAt = await Promise.all(busy).then(() => Date.now());
    expect(refused).toHaveLength(15); // 5 waited in the queue
    for (const o of refused) {
      expect(OverloadedError.is(o.error) && o.error.details.retryAfterMs >= 1).toBe(true);
      expect(o.at).toBeLessThan(busyDoneAt); // refused while the queue was full, not after waiting
    }
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    // A call by name is retried on overload (NAME_CALL_RETRY); with one node every attempt is refused and counted.
    expect(await poolMetric('lucent_pool_overloaded_total')).toBe(15 * NAME_CALL_RETRY.maxAttempts);
  }, 60_000);

  it("runs a queued 'critical' call before 'low' calls queued earlier", async () => {
    // One thread frees after 2 s, the other after 6 s: the first free slot decides who goes next (2 s leaves a
    // loaded machine time to queue the low calls and then the critical one behind them).
    const busy = await occupyBothThreads(2_000, 6_000);
    const finished: string[] = [];
    const record = (p: Promise<unknown>) => p.then((tag) => finished.push(String(tag)));
    // Each low call runs 150 ms: had one gone first, it would finish before the critical call started.
    const queued = ['low-1', 'low-2', 'low-3'].map((tag) => record(call('background', { tag, spinMs: 150 })));
    // Only once the low calls wait in the pool does the critical one go out.
    await until('queue depth', () => poolMetric('lucent_pool_queue_depth'), 3);
    queued.push(record(call('urgent', { tag: 'critical' })));
    await Promise.all([...busy, ...queued]);
    expect(finished[0]).toBe('critical');
    expect(finished.slice(1).sort()).toEqual(['low-1', 'low-2', 'low-3']);
  }, 60_000);

  it('never runs two calls of a maxConcurrency: 1 function at once, though two threads are free', async () => {
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => call<[number, number]>('oneAtATime', { spinMs: 60 })),
    );
    runs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < runs.length; i++) expect(runs[i]![0]).toBeGreaterThanOrEqual(runs[i - 1]![1]);
  }, 60_000);

  it('a function over its declared memory dies in its own worker (WorkerCrashedError); the node serves the rest', async () => {
    const defaultWorkers = async (): Promise<Set<number>> => {
      const ids = new Set<number>();
      for (let i = 0; i < 20; i++) ids.add(await call<number>('whereAmI', null));
      return ids;
    };
    const before = await defaultWorkers();
    const error = await call('hog', {}).catch((e: unknown) => e);
    expect(WorkerCrashedError.is(error)).toBe(true);
    // The default pool lost no worker (a replacement would have a new thread id); the node is alive.
    for (const id of await defaultWorkers()) expect(before.has(id)).toBe(true);
    // The hog's own pool (its memory class) started a fresh worker, and it is not one of the default pool's.
    const hogWorker = await call<number>('hog', { small: true });
    expect(hogWorker).toBeGreaterThan(0);
    expect(before.has(hogWorker)).toBe(false);
    expect(WorkerCrashedError.is(await call('hog', {}).catch((e: unknown) => e))).toBe(true);
    expect(await call('cheap', { value: 1 })).toMatchObject({ value: 1 });
  }, 90_000);

  it("runs a cpu 'low' function on the main thread, and in the pool with one warning once it turns slow", async () => {
    const inlineBefore = await poolMetric('lucent_pool_inline_calls_total');
    const first = await call<{ threadId: number }>('cheap', { value: 1 });
    expect(first.threadId).toBe(0); // the node's main thread
    expect(await poolMetric('lucent_pool_inline_calls_total')).toBeGreaterThan(inlineBefore);
    // 11 runs over 50 µs: p99 of the window is past the budget.
    for (let i = 0; i < 11; i++) await call('cheap', { value: i, spinMs: 0.3 });
    const moved = await node.waitForLog('pool.inline_moved', 10_000);
    expect(moved).toMatchObject({ level: 'warn', function: 'cheap' });
    for (let i = 0; i < 20; i++) {
      const result = await call<{ threadId: number }>('cheap', { value: i, spinMs: 0.3 });
      expect(result.threadId).toBeGreaterThan(0); // a pool worker now
    }
    expect(node.lines.filter((line) => line.msg === 'pool.inline_moved')).toHaveLength(1);
  }, 60_000);
});
