/**
 * The deployed versions' pool (`ModulePool` over `ModuleWorkers`) against real worker threads (the compiled
 * `dist/pool/worker.js`: build first): versions are loaded into the warm workers, side by side, without a
 * thread start; calls running on a version finish while it is unloaded; a worker that replaces a crashed one
 * serves every version loaded before the crash; a version declaring memory runs on capped workers of its class.
 */
import { createRegistry, type FunctionDefinition, WorkerCrashedError } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { ModulePool } from '../../src/pool/module-pool.js';
import { codeOfSettled } from '../error-code.js';

const A = new URL('../fixtures/pool-modules/answer-a.mjs', import.meta.url).href;
const B = new URL('../fixtures/pool-modules/answer-b.mjs', import.meta.url).href;

/** Deployed version `name@version` of the function the bundle at `url` defines as `exportId`, as the registry makes it. */
async function deployed(url: string, exportId: string, name: string, version: string): Promise<FunctionDefinition> {
  const registry = createRegistry();
  registry.addModule(await import(url));
  const definition = registry.get(exportId);
  return Object.freeze({ ...definition, name, version, id: `${name}@${version}` });
}

type Answer = { from: string; x: number; threadId: number };

let pool: ModulePool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe('module pool', () => {
  it('loads a second version into the running workers: no thread starts, each call runs on its version', async () => {
    pool = new ModulePool({ threads: 2, closeTimeoutMs: 5_000 });
    const v1 = await pool.load(await deployed(A, 'answer@1', 'answer', '1'), A, 'answer@1');
    expect(pool.workerStarts).toBe(2);
    // Both bundles define `answer@1`; the deployed ids tell them apart.
    const v2 = await pool.load(await deployed(B, 'answer@1', 'answer', '2'), B, 'answer@1');
    expect(pool.workerStarts).toBe(2);
    expect(pool.threads).toBe(2);
    const calls: Promise<Answer>[] = [];
    for (let i = 0; i < 200; i++) calls.push(i % 2 === 0 ? v1.call('answer@1', i) : v2.call('answer@2', i));
    const answers = await Promise.all(calls);
    answers.forEach((answer, i) => {
      expect(answer.from).toBe(i % 2 === 0 ? 'a' : 'b');
      expect(answer.x).toBe(i);
    });
    // Each worker has both versions bound: both ran calls of each, on the 2 threads there are.
    expect(new Set(answers.map((a) => a.threadId)).size).toBeLessThanOrEqual(2);
  }, 30_000);

  it('lets calls running on a version finish while it is unloaded; its pool then refuses calls', async () => {
    pool = new ModulePool({ threads: 1, closeTimeoutMs: 5_000 });
    const v1 = await pool.load(await deployed(A, 'wait@1', 'wait', '1'), A, 'wait@1');
    const running = v1.call<number>('wait@1', 300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.unload('wait@1');
    expect(await running).toBe(300);
    // Its pool is closed, and a batch naming it would find nothing bound in the worker.
    expect(await codeOfSettled(v1.call('wait@1', 1))).toBe('LUCENT_SHUTTING_DOWN');
    expect(pool.stats().calls).toBe(1);
  }, 30_000);

  it('replaces a crashed worker with one that serves every version loaded before the crash', async () => {
    pool = new ModulePool({ threads: 1, closeTimeoutMs: 5_000 });
    const v1 = await pool.load(await deployed(A, 'answer@1', 'answer', '1'), A, 'answer@1');
    const crash = await pool.load(await deployed(A, 'exitWorker@1', 'exitWorker', '1'), A, 'exitWorker@1');
    const v2 = await pool.load(await deployed(B, 'answer@1', 'answer', '2'), B, 'answer@1');
    const before = await v1.call<Answer>('answer@1', 1);
    await expect(crash.call('exitWorker@1', null)).rejects.toSatisfy((e: unknown) => WorkerCrashedError.is(e));
    const [a, b] = await Promise.all([v1.call<Answer>('answer@1', 2), v2.call<Answer>('answer@2', 3)]);
    expect([a.from, b.from]).toEqual(['a', 'b']);
    expect(a.threadId).not.toBe(before.threadId);
    expect(pool.workerStarts).toBe(2);
  }, 30_000);

  it('runs a version declaring memory on capped workers of its class, loaded beside the default ones', async () => {
    pool = new ModulePool({ threads: 1, closeTimeoutMs: 5_000 });
    const plain = await pool.load(await deployed(B, 'answer@1', 'answer', '1'), B, 'answer@1');
    const capped = await pool.load(await deployed(B, 'capped@1', 'capped', '1'), B, 'capped@1');
    const [where, limited] = await Promise.all([
      plain.call<Answer>('answer@1', 0),
      capped.call<{ threadId: number; heapLimitMb: number }>('capped@1', null),
    ]);
    expect(limited.threadId).not.toBe(where.threadId);
    expect(limited.heapLimitMb).toBeLessThan(200);
    expect(pool.threads).toBe(2);
  }, 30_000);

  it('refuses a version whose export the bundle lacks, and leaves it bound nowhere', async () => {
    pool = new ModulePool({ threads: 2, closeTimeoutMs: 5_000 });
    await pool.load(await deployed(A, 'answer@1', 'answer', '1'), A, 'answer@1');
    const definition = await deployed(A, 'answer@1', 'missing', '1');
    await expect(pool.load(definition, A, 'missing@1')).rejects.toThrow(/exports no function 'missing@1'/);
    expect(pool.workerStarts).toBe(2);
  }, 30_000);
});
