/**
 * The shard's supervisor on a simulated clock with in-memory pools: restarts after the backoff, fails calls
 * fast meanwhile, ignores stale deaths, and asks for a fatal stop once the budget is spent. Never sleeps.
 */
import {
  createFunctionActors,
  createTestKit,
  flushMicrotasks,
  MemoryStateStore,
  type TestKit,
} from '@lucent/actors/internal';
import { NodeUnavailableError, ShuttingDownError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeLogger } from '../src/logging.js';
import type { FunctionPool, FunctionPoolStats } from '../src/pool/function-pool.js';
import { NO_COUNTERS } from '../src/pool/pool-counters.js';
import { POOL_RESTARTING_REASON } from '../src/pool/supervised-pool.js';
import { ShardSupervisor } from '../src/shard/shard-supervisor.js';
import { codeOfSettled } from './error-code.js';

/** A pool twin: answers `{ pool, input }`; `die` reports its death as the real pool's `onDeath` does. */
class TwinPool implements FunctionPool {
  readonly functions = ['echo'];
  closed = false;
  calls = 0;

  constructor(
    readonly id: number,
    readonly onDeath: (reason: string) => void,
  ) {}

  call<O>(_name: string, input: unknown): Promise<O> {
    this.calls++;
    return Promise.resolve({ pool: this.id, input } as O);
  }

  stats(): FunctionPoolStats {
    return {
      ...NO_COUNTERS,
      calls: this.calls,
      queueDepth: 0,
      tasksInFlight: 0,
      utilization: 0,
    };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  die(reason = 'workers cannot start'): void {
    this.onDeath(reason);
  }
}

const kits: TestKit[] = [];
afterEach(async () => {
  for (const kit of kits.splice(0)) await kit.shutdown();
});

interface Harness {
  readonly kit: TestKit;
  readonly supervisor: ShardSupervisor;
  readonly pools: TwinPool[];
  readonly fatal: string[];
  /** Pool creations still to fail, one per restart. */
  failCreations: number;
}

async function start(maxRestarts = 2): Promise<Harness> {
  const kit = createTestKit();
  kits.push(kit);
  const pools: TwinPool[] = [];
  const fatal: string[] = [];
  const harness = { kit, pools, fatal, failCreations: 0 } as { -readonly [K in keyof Harness]: Harness[K] };
  harness.supervisor = await ShardSupervisor.start({
    system: kit.system,
    nodeId: 'n1',
    createPool: async (onDeath) => {
      if (harness.failCreations > 0) {
        harness.failCreations--;
        throw new Error('cannot spawn workers');
      }
      const pool = new TwinPool(pools.length + 1, onDeath);
      pools.push(pool);
      return pool;
    },
    createActors: () => createFunctionActors({ system: kit.system, store: new MemoryStateStore(), definitions: [] }),
    supervision: { maxRestarts, windowMs: 10_000, backoff: { minMs: 100, maxMs: 1_000, jitter: 0 } },
    logger: createNodeLogger({ nodeId: 'n1', level: 'silent' }),
    onFatal: (reason) => fatal.push(reason),
    random: () => 0,
  });
  return harness;
}

function pool(h: Harness): FunctionPool {
  return h.supervisor.pool!;
}

describe('ShardSupervisor', () => {
  it('replaces a dead pool after the backoff, behind the same pool object', async () => {
    const h = await start();
    const stable = pool(h);
    expect(await stable.call('echo', 1)).toEqual({ pool: 1, input: 1 });
    h.pools[0]!.die();
    await flushMicrotasks();
    expect(h.pools[0]!.closed).toBe(true);
    // During the restart a call fails at once, with a typed error.
    const during = stable.call('echo', 2).catch((error: unknown) => error);
    expect(await codeOfSettled(stable.call('echo', 2))).toBe(NodeUnavailableError.code);
    expect((await during) as { details: unknown }).toMatchObject({ details: { reason: POOL_RESTARTING_REASON } });
    await h.kit.advance(99);
    expect(h.pools).toHaveLength(1);
    await h.kit.advance(1);
    expect(h.pools).toHaveLength(2);
    expect(h.supervisor.pool).toBe(stable);
    expect(await stable.call('echo', 3)).toEqual({ pool: 2, input: 3 });
    expect(h.supervisor.restartCount).toBe(1);
    expect(stable.stats().calls).toBe(2); // counters add up over incarnations
    expect(h.fatal).toEqual([]);
  });

  it('doubles the delay per restart in the window and ignores a death reported by a replaced pool', async () => {
    const h = await start(3);
    h.pools[0]!.die();
    await h.kit.advance(100);
    h.pools[0]!.die('late report of the first pool'); // stale: changes nothing
    h.pools[1]!.die();
    await h.kit.advance(199);
    expect(h.pools).toHaveLength(2);
    await h.kit.advance(1);
    expect(h.pools).toHaveLength(3);
    expect(await pool(h).call('echo', 'x')).toEqual({ pool: 3, input: 'x' });
  });

  it('asks for a fatal stop once the restart budget is spent, and restarts nothing more', async () => {
    const h = await start(2);
    h.pools[0]!.die();
    await h.kit.advance(100);
    h.pools[1]!.die();
    await h.kit.advance(200);
    expect(h.fatal).toEqual([]);
    h.pools[2]!.die('3 worker(s) could not load');
    await flushMicrotasks();
    expect(h.fatal).toHaveLength(1);
    expect(h.fatal[0]).toContain('3 worker(s) could not load');
    await h.kit.advance(60_000);
    expect(h.pools).toHaveLength(3);
    expect(await codeOfSettled(pool(h).call('echo', 1))).toBe(NodeUnavailableError.code);
  });

  it('counts a pool that cannot be created as another death', async () => {
    const h = await start(2);
    h.failCreations = 1;
    h.pools[0]!.die();
    await h.kit.advance(100); // creation fails: next try after 200 ms
    expect(h.pools).toHaveLength(1);
    await h.kit.advance(200);
    expect(h.pools).toHaveLength(2);
    expect(await pool(h).call('echo', 1)).toEqual({ pool: 2, input: 1 });
    h.pools[1]!.die();
    await flushMicrotasks();
    expect(h.fatal).toHaveLength(1);
  });

  it('closePool closes the pool and cancels a pending restart; calls then fail with ShuttingDownError', async () => {
    const h = await start();
    h.pools[0]!.die();
    await flushMicrotasks();
    await h.supervisor.stopActors();
    await h.supervisor.closePool();
    await h.kit.advance(1_000);
    expect(h.pools).toHaveLength(1);
    expect(await codeOfSettled(pool(h).call('echo', 1))).toBe(ShuttingDownError.code);
    expect(h.fatal).toEqual([]);
  });
});
