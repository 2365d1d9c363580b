import { MemoryStateStore } from '@lucent/actors/internal';
import {
  defineFunction,
  type FunctionDefinition,
  SIMULATED_WALL_START_MS,
  SimulatedClock,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { CronScheduler, scheduleKey } from '../src/schedule/cron-scheduler.js';

const T0 = SIMULATED_WALL_START_MS;
const S = 1_000;

/** Lets the promise chains a timer started (ledger load, save, fire) run to their end. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Advances the clock one second at a time, settling the firings in between, like real time would. */
async function advance(clock: SimulatedClock, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 250) {
    clock.advance(Math.min(250, left));
    await settle();
  }
}

const everySecond = defineFunction({ name: 'tick', schedule: { cron: '* * * * * *' } }, () => 1);
const catchingUp = defineFunction(
  { name: 'catchUp', schedule: { cron: '* * * * * *', missed: { catchUp: 3 } } },
  () => 1,
);

interface Node {
  readonly id: string;
  readonly scheduler: CronScheduler;
  readonly fired: number[];
}

const running: CronScheduler[] = [];
afterEach(async () => {
  for (const scheduler of running.splice(0)) await scheduler.stop();
});

/** A node's scheduler over the shared ledger; `owner()` says which node id owns every key now. */
function node(
  id: string,
  clock: SimulatedClock,
  ledger: MemoryStateStore,
  owner: () => string,
  functions: FunctionDefinition[],
): Node {
  const fired: number[] = [];
  const scheduler = new CronScheduler({
    functions,
    ledger,
    clock,
    owns: () => owner() === id,
    fire: async (_definition, tickMs) => {
      fired.push(tickMs);
    },
  });
  running.push(scheduler);
  return { id, scheduler, fired };
}

describe('CronScheduler', () => {
  it('fires each tick once, on the owner only, with one timer per node', async () => {
    const clock = new SimulatedClock();
    const ledger = new MemoryStateStore();
    const a = node('a', clock, ledger, () => 'a', [everySecond, catchingUp]);
    const b = node('b', clock, ledger, () => 'a', [everySecond]);
    a.scheduler.start();
    b.scheduler.start();
    expect(clock.pendingTimers).toBe(2); // one per node, whatever the number of schedules
    await advance(clock, 5 * S);
    expect(a.fired.filter((t) => t <= T0 + 5 * S)).toEqual([
      T0 + S,
      T0 + S,
      T0 + 2 * S,
      T0 + 2 * S,
      T0 + 3 * S,
      T0 + 3 * S,
      T0 + 4 * S,
      T0 + 4 * S,
      T0 + 5 * S,
      T0 + 5 * S,
    ]);
    expect(b.fired).toEqual([]);
    expect((await ledger.load(scheduleKey('tick')))?.snapshot).toEqual({ lastFiredMs: T0 + 5 * S });
  });

  it('two nodes that both think they own a schedule fire each tick once (the ledger fences)', async () => {
    const clock = new SimulatedClock();
    const ledger = new MemoryStateStore();
    const a = node('a', clock, ledger, () => 'a', [everySecond]);
    const b = node('b', clock, ledger, () => 'b', [everySecond]);
    a.scheduler.start();
    b.scheduler.start();
    await advance(clock, 10 * S);
    const all = [...a.fired, ...b.fired].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * S));
    expect(a.scheduler.fencedOut + b.scheduler.fencedOut).toBe(10);
  });

  it("after a failover 'skip' drops the ticks nobody fired, catch-up runs the newest N first", async () => {
    const clock = new SimulatedClock();
    const ledger = new MemoryStateStore();
    let owner = 'a';
    const a = node('a', clock, ledger, () => owner, [everySecond, catchingUp]);
    const b = node('b', clock, ledger, () => owner, [everySecond, catchingUp]);
    a.scheduler.start();
    b.scheduler.start();
    await advance(clock, 2 * S); // a fires ticks 1, 2 of both schedules
    owner = 'dead'; // a died; nobody owns the keys until the view says b
    await advance(clock, 6 * S); // ticks 3..8 missed
    owner = 'b';
    await advance(clock, S); // tick 9
    expect(a.fired).toEqual([T0 + S, T0 + S, T0 + 2 * S, T0 + 2 * S]);
    // b: tick 9 of 'tick' (skip), and ticks 6, 7, 8 then 9 of 'catchUp'.
    expect([...b.fired].sort((x, y) => x - y)).toEqual([T0 + 6 * S, T0 + 7 * S, T0 + 8 * S, T0 + 9 * S, T0 + 9 * S]);
  });

  it('a node starting after an outage catches up at once, without waiting for the next tick', async () => {
    const clock = new SimulatedClock();
    const ledger = new MemoryStateStore();
    await ledger.save(scheduleKey('catchUp'), { lastFiredMs: T0 - 10 * S }, null);
    await ledger.save(
      scheduleKey('tick'),
      { lastFiredMs: T0 - 10 * S },
      (await ledger.load(scheduleKey('tick')))?.revision ?? null,
    );
    const a = node('a', clock, ledger, () => 'a', [everySecond, catchingUp]);
    a.scheduler.start();
    await settle();
    expect(a.fired).toEqual([T0 - 2 * S, T0 - S, T0]);
  });

  it('stop() clears the timer: nothing fires after it', async () => {
    const clock = new SimulatedClock();
    const a = node('a', clock, new MemoryStateStore(), () => 'a', [everySecond]);
    a.scheduler.start();
    await advance(clock, 2 * S);
    await a.scheduler.stop();
    await advance(clock, 3 * S);
    expect(a.fired).toEqual([T0 + S, T0 + 2 * S]);
    expect(clock.pendingTimers).toBe(0);
  });
});
