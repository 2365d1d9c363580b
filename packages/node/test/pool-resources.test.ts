/**
 * The pool honours a function's declared resources: a bounded queue refuses calls past it with
 * `OverloadedError`, `priority` picks which function's calls go next, `maxConcurrency` caps calls running at
 * once, and `cpu: 'low'` functions run on the calling thread until they turn slow. Against the in-process twin
 * of piscina, on a simulated clock (an inline handler "runs long" by advancing it).
 */
import { threadId } from 'node:worker_threads';
import { createRegistry, defineFunction, OverloadedError, type Priority, SimulatedClock } from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../src/pool/admission.js';
import type { FunctionPool, FunctionPoolStats } from '../src/pool/function-pool.js';
import type { InlineVerdict } from '../src/pool/inline-run-budget.js';
import { InlineRunBudget } from '../src/pool/inline-run-budget.js';
import { heapLimitMb, MemoryClassPools, referencesByMemoryClass } from '../src/pool/memory-class-pools.js';
import { TASK_INPUTS } from '../src/pool/protocol.js';
import { ReadyLanes } from '../src/pool/ready-lanes.js';
import { engineWith, turn } from './pool-engine-harness.js';

const withPriority = (name: string, priority: Priority) =>
  defineFunction({ name, resources: { timeoutMs: 0, priority } }, (_c, x: number) => x);

describe('pool admission: a bounded queue', () => {
  it('rejects at once with OverloadedError (retryAfterMs > 0) once maxQueuedCalls wait, and counts it', async () => {
    const { runner, engine } = engineWith([withPriority('f', 'normal')], 1, new SimulatedClock(), {
      maxQueuedCalls: 3,
    });
    const first = engine.call('f', 0);
    await turn(); // 0 is in flight; the queue is empty again
    const queued = [1, 2, 3].map((x) => engine.call('f', x));
    const refused = engine.call('f', 4);
    await expect(refused).rejects.toSatisfy(
      (e: unknown) => OverloadedError.is(e) && e.details.target === 'f' && e.details.retryAfterMs >= 1,
    );
    expect(engine.stats()).toMatchObject({ overloaded: 1, queueDepth: 3, calls: 4 });
    // Once the queue drains, calls are taken again.
    runner.complete(0);
    await turn();
    runner.complete(1);
    await expect(Promise.all([first, ...queued])).resolves.toEqual([1, 2, 3, 4]);
    const later = engine.call('f', 5);
    await turn();
    runner.complete(2);
    await expect(later).resolves.toBe(6);
  });

  it('suggests a retry after the queue would drain by the estimate, never less than 1 ms', () => {
    expect(retryAfterMs(1000, 0.5, 2)).toBe(250);
    expect(retryAfterMs(3, Number.NaN, 4)).toBe(1);
    expect(retryAfterMs(0, 0, 1)).toBe(1);
  });
});

describe('pool priority', () => {
  it("serves queued 'critical' calls before low ones queued earlier, FIFO within a class", async () => {
    const { runner, engine } = engineWith(
      [withPriority('bulk', 'low'), withPriority('urgent', 'critical'), withPriority('normal', 'normal')],
      1,
    );
    const done = [engine.call('bulk', 1)];
    await turn(); // bulk 1 probes alone (unknown estimate)
    done.push(engine.call('bulk', 2), engine.call('bulk', 3), engine.call('normal', 10));
    done.push(engine.call('urgent', 100), engine.call('urgent', 101));
    runner.complete(0);
    await turn();
    expect(runner.submitted[1]!.task[0]).toBe('urgent@1');
    expect(runner.inputsOf(1)).toEqual([100]); // probe of an unknown function: one call
    runner.complete(1, 0.001);
    await turn();
    expect(runner.inputsOf(2)).toEqual([101]);
    runner.complete(2);
    await turn();
    expect(runner.inputsOf(3)).toEqual([10]); // normal before low
    runner.complete(3);
    await turn();
    expect(runner.inputsOf(4)).toEqual([2, 3]); // low last, in call order
    runner.complete(4);
    await expect(Promise.all(done)).resolves.toEqual([2, 3, 4, 11, 101, 102]);
  });

  it('ReadyLanes: highest rank first, round robin within a rank', () => {
    const ring = new ReadyLanes<{ rank: number; id: string }>();
    for (const lane of [
      { rank: 0, id: 'low' },
      { rank: 1, id: 'n1' },
      { rank: 3, id: 'crit' },
      { rank: 1, id: 'n2' },
    ]) {
      ring.push(lane);
    }
    expect(ring.size).toBe(4);
    const order: string[] = [];
    for (let lane = ring.shift(); lane !== undefined; lane = ring.shift()) order.push(lane.id);
    expect(order).toEqual(['crit', 'n1', 'n2', 'low']);
    expect(ring.size).toBe(0);
  });
});

describe('pool maxConcurrency', () => {
  it('never has more than maxConcurrency calls of a function running; the rest wait and then run', async () => {
    const capped = defineFunction(
      { name: 'capped', resources: { timeoutMs: 0, maxConcurrency: 2 } },
      (_c, x: number) => x,
    );
    const { runner, engine } = engineWith([capped, withPriority('other', 'normal')], 4);
    const first = engine.call('capped', 0);
    await turn();
    runner.complete(0, 0.001); // cheap: batches may now hold up to 8 calls
    await first;
    const calls = Array.from({ length: 5 }, (_, i) => engine.call('capped', i + 1));
    const other = engine.call('other', 7);
    await turn();
    const running = () =>
      runner.submitted
        .filter((s) => s.task[0] === 'capped@1')
        .slice(1)
        .map((s) => s.task.length - TASK_INPUTS);
    // Four task slots are free, but only 2 calls of `capped` may run: one batch of 2; `other` is not held up.
    expect(running()).toEqual([2]);
    expect(runner.submitted.some((s) => s.task[0] === 'other@1')).toBe(true);
    runner.complete(1);
    await turn();
    expect(running()).toEqual([2, 2]);
    runner.complete(runner.submitted.length - 1);
    await turn();
    expect(running()).toEqual([2, 2, 1]);
    runner.complete(runner.submitted.length - 1);
    for (let i = 0; i < runner.submitted.length; i++)
      if (runner.submitted[i]!.task[0] === 'other@1') runner.complete(i);
    await expect(Promise.all(calls)).resolves.toEqual([2, 3, 4, 5, 6]);
    await expect(other).resolves.toBe(8);
  });
});

describe("pool: cpu 'low' runs inline", () => {
  const lowFunction = (clock: SimulatedClock) =>
    defineFunction({ name: 'low', resources: { cpu: 'low' } }, (_c, input: { runMs: number }) => {
      clock.advance(input.runMs); // what the engine's clock sees this run take
      return threadId;
    });

  it('runs on the calling thread without a worker task while runs stay cheap', async () => {
    const clock = new SimulatedClock();
    const { runner, engine } = engineWith([lowFunction(clock)], 2, clock);
    for (let i = 0; i < 2000; i++) await expect(engine.call('low', { runMs: 0.01 })).resolves.toBe(threadId);
    expect(runner.submitted).toHaveLength(0);
    expect(engine.stats()).toMatchObject({ inlineCalls: 2000, calls: 2000, batches: 0 });
  });

  it('moves to the pool, with one report, once more than 1 % of a window run over 50 µs', async () => {
    const clock = new SimulatedClock();
    const moved: [string, InlineVerdict][] = [];
    const { runner, engine } = engineWith(
      [lowFunction(clock)],
      2,
      clock,
      {},
      {
        onInlineMoved: (name, verdict) => moved.push([name, verdict]),
      },
    );
    for (let i = 0; i < 10; i++) await engine.call('low', { runMs: 0.25 }); // 10 slow runs: still within p99
    expect(moved).toHaveLength(0);
    await engine.call('low', { runMs: 0.25 }); // the 11th: p99 over 50 µs
    expect(moved).toEqual([['low', { slowRuns: 11, runs: 11, lastRunMs: 0.25 }]]);
    const pooled = engine.call('low', { runMs: 0 });
    await turn();
    expect(runner.submitted).toHaveLength(1); // now a worker task
    runner.submitted[0]!.resolve([0.2, null, null, 42]);
    await expect(pooled).resolves.toBe(42);
    expect(moved).toHaveLength(1);
    expect(engine.stats().inlineCalls).toBe(11);
  });

  it('holds an async inline run in its maxConcurrency slot; a call queued meanwhile goes once it settles', async () => {
    let finish: (value: string) => void = () => undefined;
    const slow = defineFunction(
      { name: 'slowAsync', resources: { cpu: 'low', maxConcurrency: 1, timeoutMs: 0 } },
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    const { runner, engine } = engineWith([slow], 2);
    const first = engine.call('slowAsync', 1); // inline, pending
    const second = engine.call('slowAsync', 2); // the slot is taken: queued for the pool
    await turn();
    expect(runner.submitted).toHaveLength(0);
    finish('inline');
    await expect(first).resolves.toBe('inline');
    await turn();
    expect(runner.inputsOf(0)).toEqual([2]);
    runner.complete(0);
    await expect(second).resolves.toBe(3);
  });

  it('fails a throwing inline call alone, with the Lucent error or a HandlerError', async () => {
    const thrower = defineFunction({ name: 'thrower', resources: { cpu: 'low' } }, (_c, x: number) => {
      if (x < 0) throw new RangeError('negative');
      return x;
    });
    const { engine } = engineWith([thrower], 1);
    await expect(engine.call('thrower', -1)).rejects.toMatchObject({
      code: 'LUCENT_HANDLER',
      details: { remoteName: 'RangeError' },
    });
    await expect(engine.call('thrower', 3)).resolves.toBe(3);
  });

  it('callNow answers a synchronous inline run with its value itself, and everything else with a promise', async () => {
    const clock = new SimulatedClock();
    const later = defineFunction({ name: 'later', resources: { cpu: 'low' } }, async (_c, x: number) => x * 2);
    const pooled = defineFunction({ name: 'pooled' }, (_c, x: number) => x);
    const { runner, engine } = engineWith([lowFunction(clock), later, pooled], 1, clock);
    expect(engine.callNow('low', { runMs: 0.01 })).toBe(threadId);
    const asyncRun = engine.callNow('later', 4);
    expect(asyncRun).toBeInstanceOf(Promise);
    await expect(asyncRun).resolves.toBe(8);
    const queued = engine.callNow('pooled', 5);
    expect(queued).toBeInstanceOf(Promise);
    await turn();
    runner.complete(0);
    await expect(queued).resolves.toBe(6);
    const expired = engine.callNow('low', { runMs: 0 }, { deadline: clock.wallNow() - 1 });
    await expect(expired).rejects.toMatchObject({ code: 'LUCENT_TIMEOUT' });
    expect(engine.stats()).toMatchObject({ inlineCalls: 3, timeouts: 1 });
  });

  it('stays in the workers when the function declares memory, or inlining is off', async () => {
    const capped = defineFunction({ name: 'capped', resources: { cpu: 'low', memory: '64MB' } }, () => threadId);
    const low = defineFunction({ name: 'low2', resources: { cpu: 'low' } }, () => threadId);
    const a = engineWith([capped], 1);
    void a.engine.call('capped', 0);
    const b = engineWith([low], 1, new SimulatedClock(), { inlineLowCpu: false });
    void b.engine.call('low2', 0);
    await turn();
    expect(a.runner.submitted).toHaveLength(1);
    expect(b.runner.submitted).toHaveLength(1);
  });

  it('InlineRunBudget: a window resets its count; a second run over maxRunMs in a window moves at once', () => {
    const budget = new InlineRunBudget({ slowRunMs: 0.05, windowRuns: 100, slowRunsAllowed: 1, maxRunMs: 5 });
    for (let window = 0; window < 3; window++) {
      expect(budget.record(1)).toBeNull(); // one slow run per window is allowed
      for (let i = 1; i < 100; i++) expect(budget.record(0.01)).toBeNull();
    }
    expect(budget.record(0.01)).toBeNull();
    expect(budget.record(3)).toBeNull(); // the window's one slow run
    expect(budget.record(4)).toMatchObject({ slowRuns: 2, lastRunMs: 4 });
  });

  it('InlineRunBudget: forgives one run over maxRunMs per window (a preemption), not two', () => {
    const budget = new InlineRunBudget({ slowRunMs: 0.05, windowRuns: 100, slowRunsAllowed: 10, maxRunMs: 5 });
    for (let window = 0; window < 3; window++) {
      expect(budget.record(15)).toBeNull();
      for (let i = 1; i < 100; i++) expect(budget.record(0.01)).toBeNull();
    }
    expect(budget.record(6)).toBeNull();
    expect(budget.record(0.01)).toBeNull();
    expect(budget.record(7)).toMatchObject({ slowRuns: 2, lastRunMs: 7 });
  });
});

/** A pool that answers every call with its own label; counts calls and closes. */
class LabelPool implements FunctionPool {
  readonly functions: readonly string[] = [];
  calls = 0;
  closed = false;
  constructor(readonly label: string) {}
  call<O>(): Promise<O> {
    this.calls++;
    return Promise.resolve(this.label as O);
  }
  stats(): FunctionPoolStats {
    const zero = { batches: 0, reruns: 0, retries: 0, crashes: 0, timeouts: 0, overloaded: 0, inlineCalls: 0 };
    return { ...zero, calls: this.calls, queueDepth: this.calls, tasksInFlight: 0, utilization: this.calls / 10 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('pool memory classes (routing between pools)', () => {
  const registry = createRegistry([
    defineFunction({ name: 'plain' }, () => 0),
    defineFunction({ name: 'small', resources: { memory: '64MB' } }, () => 0),
    defineFunction({ name: 'alsoSmall', resources: { memory: '64MiB' } }, () => 0),
    defineFunction({ name: 'big', resources: { memory: '1GB' } }, () => 0),
  ]);

  it('groups references by declared memory, and maps a size to whole V8 megabytes', () => {
    const classes = referencesByMemoryClass(registry);
    expect(classes.get(0)?.sort()).toEqual(['plain', 'plain@1']);
    expect(classes.get(64 * 2 ** 20)?.sort()).toEqual(['alsoSmall', 'alsoSmall@1', 'small', 'small@1']);
    expect(classes.get(2 ** 30)?.sort()).toEqual(['big', 'big@1']);
    expect([heapLimitMb(64 * 2 ** 20), heapLimitMb(1), heapLimitMb(2 ** 30 + 1)]).toEqual([64, 1, 1025]);
  });

  it('starts one pool per class on its first call, shares it within the class, and closes them all', async () => {
    const started: [number, readonly string[]][] = [];
    const pools: LabelPool[] = [];
    const defaultPool = new LabelPool('default');
    const classes = new MemoryClassPools(defaultPool, referencesByMemoryClass(registry), (bytes, references) => {
      started.push([bytes, references]);
      const pool = new LabelPool(`${bytes / 2 ** 20} MiB`);
      pools.push(pool);
      return pool;
    });
    expect(await classes.call('plain', null)).toBe('default');
    expect(started).toEqual([]);
    expect(await classes.call('small', null)).toBe('64 MiB');
    expect(await classes.call('alsoSmall@1', null)).toBe('64 MiB');
    expect(await classes.call('big', null)).toBe('1024 MiB');
    expect(started.map(([bytes]) => bytes)).toEqual([64 * 2 ** 20, 2 ** 30]);
    expect(classes.startedClasses).toEqual([64 * 2 ** 20, 2 ** 30]);
    expect(classes.stats()).toMatchObject({ calls: 4, queueDepth: 4, utilization: 0.2 });
    await classes.close();
    expect([defaultPool, ...pools].every((pool) => pool.closed)).toBe(true);
  });
});
