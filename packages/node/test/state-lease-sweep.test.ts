/**
 * LeaseSweepExtension with a fake lease bucket: who sweeps, what age it purges, failures, shutdown.
 * On a simulated clock: time passes only by `clock.advance`, so nothing sleeps.
 */
import { SimulatedClock } from '@lucent/core/internal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShardContext } from '../src/shard/shard-context.js';
import { LeaseSweepExtension, type ReleasedLeasePurger, SWEEP_KEY } from '../src/state/lease-sweep.js';

const INTERVAL = 20;
const NOW = 1_000_000;
let clock: SimulatedClock;
beforeEach(() => {
  clock = new SimulatedClock(0, NOW);
});

/** Records every purge; each one settles when the test says so. */
class FakePurger implements ReleasedLeasePurger {
  readonly calls: number[] = [];
  #settle: ((purged: number) => void)[] = [];
  #fail: ((error: Error) => void)[] = [];

  purgeReleased(beforeMs: number): Promise<number> {
    this.calls.push(beforeMs);
    return new Promise((resolve, reject) => {
      this.#settle.push(resolve);
      this.#fail.push(reject);
    });
  }
  finish(purged: number): void {
    this.#fail.shift();
    this.#settle.shift()?.(purged);
  }
  finishAll(): void {
    while (this.#settle.length > 0) this.finish(0);
  }
  fail(error: Error): void {
    this.#settle.shift();
    this.#fail.shift()?.(error);
  }
}

function contextFor(nodeId: string) {
  const logged: [string, string, Record<string, unknown>][] = [];
  const logger = {
    info: (fields: Record<string, unknown>, msg: string) => logged.push(['info', msg, fields]),
    warn: (fields: Record<string, unknown>, msg: string) => logged.push(['warn', msg, fields]),
  };
  return { context: { nodeId, logger } as unknown as ShardContext, logged };
}

/** Lets promise callbacks run (one event-loop turn); no clock time passes. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the clock by `ms`, letting promise callbacks run after. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await settle();
}

const started: { sweep: LeaseSweepExtension; purger: FakePurger }[] = [];
afterEach(async () => {
  for (const { sweep, purger } of started.splice(0)) {
    const stopping = sweep.stop();
    purger.finishAll(); // a sweep the test left running
    await stopping;
  }
});

async function startSweep(owner: { id: string | undefined }, purger: FakePurger, nodeId = 'n1') {
  const sweep = new LeaseSweepExtension({
    intervalMs: INTERVAL,
    open: async () => purger,
    ownerOf: (key) => (key === SWEEP_KEY ? owner.id : undefined),
    clock,
  });
  const { context, logged } = contextFor(nodeId);
  await sweep.start(context);
  started.push({ sweep, purger });
  return { sweep, logged };
}

describe('LeaseSweepExtension', () => {
  it('sweeps only while this node owns the sweep key, purging markers older than one interval', async () => {
    const purger = new FakePurger();
    const owner: { id: string | undefined } = { id: 'n2' };
    const { logged } = await startSweep(owner, purger);
    await advance(INTERVAL * 4);
    expect(purger.calls).toEqual([]);
    owner.id = 'n1';
    await advance(INTERVAL - 1);
    expect(purger.calls).toEqual([]);
    await advance(1);
    expect(purger.calls).toEqual([clock.wallNow() - INTERVAL]); // the wall time at the sweep, less one interval
    purger.finish(3);
    await settle();
    expect(logged).toEqual([['info', 'leases.swept', { purged: 3 }]]);
  });

  it('runs one sweep at a time, logs a failure and sweeps again at the next interval', async () => {
    const purger = new FakePurger();
    const { logged } = await startSweep({ id: 'n1' }, purger);
    await advance(INTERVAL);
    expect(purger.calls).toHaveLength(1);
    await advance(INTERVAL * 4);
    expect(purger.calls).toHaveLength(1); // the first is still running
    purger.fail(new Error('jetstream away'));
    await settle();
    expect(logged).toHaveLength(1);
    expect(logged[0]?.slice(0, 2)).toEqual(['warn', 'leases.sweep_failed']);
    await advance(INTERVAL);
    expect(purger.calls).toHaveLength(2);
    purger.finish(0);
    await advance(INTERVAL);
    expect(logged).toHaveLength(1); // nothing purged: nothing logged
  });

  it('shutdown stops the timer and waits for the sweep in progress', async () => {
    const purger = new FakePurger();
    const { sweep } = await startSweep({ id: 'n1' }, purger);
    await advance(INTERVAL);
    expect(purger.calls).toHaveLength(1);
    let stopped = false;
    const stopping = sweep.beginShutdown().then(() => {
      stopped = true;
    });
    await advance(INTERVAL * 3);
    expect(stopped).toBe(false);
    purger.finish(1);
    await stopping;
    await advance(INTERVAL * 3);
    expect(purger.calls).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });
});
