import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createActorSystem } from '../src/actor-system.js';
import type { ActorRef } from '../src/types.js';

/** `global.gc` without `--expose-gc`: the flag can be set at run time and read from a fresh context. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('memory', () => {
  it('100k actors spawned, used and stopped leave the heap back near where it started', async () => {
    const gc = exposeGc();
    const N = 100_000;
    const system = createActorSystem({ name: 'mem' });
    // Warm the code paths first so that compiled code and one-off caches do not count as a leak.
    const warm = Array.from({ length: 1000 }, () => system.spawn<number>({ receive: (n) => n + 1 }));
    for (const ref of warm) ref.tell(1);
    await Promise.all(warm.map((ref) => ref.ask(2)));
    await Promise.all(warm.map((ref) => ref.stop()));
    gc();
    const before = process.memoryUsage().heapUsed;

    let handled = 0;
    const behavior = {
      receive(): number {
        return ++handled;
      },
    };
    let refs: ActorRef<number>[] = [];
    for (let i = 0; i < N; i++) refs.push(system.spawn<number>(behavior));
    for (const ref of refs) ref.tell(1);
    await Promise.all(refs.map((ref, i) => (i % 10 === 0 ? ref.ask(2) : undefined)));
    expect(handled).toBe(N + N / 10);
    gc();
    const alive = process.memoryUsage().heapUsed - before;
    await system.terminate();
    expect(system.topLevelCount).toBe(0);
    expect(refs.every((r) => r.isStopped)).toBe(true);
    refs = [];
    gc();
    const after = process.memoryUsage().heapUsed - before;

    // While alive, 100k actors cost real memory (so the check below means something) ...
    expect(alive).toBeGreaterThan(N * 200);
    // ... and after stopping them (and dropping our refs) nearly all of it is back.
    expect(after).toBeLessThan(Math.max(alive / 20, 2 * 1024 * 1024));
    console.log(
      `100k actors: ${(alive / N).toFixed(0)} B/actor alive, ${(after / 1024 / 1024).toFixed(2)} MiB left after stop`,
    );
  });
});
