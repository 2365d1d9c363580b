/**
 * `createFunctionPool` with functions that declare `resources.memory`: they get a pool of their own per
 * memory class (piscina workers with `resourceLimits`), started on the first call of one of them, and a
 * function over its limit dies in its own worker while the default pool serves on. Real worker threads.
 */
import { WorkerCrashedError } from '@lucent/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFunctionPool, type FunctionPool } from '../../src/pool/function-pool.js';
import { MemoryClassPools } from '../../src/pool/memory-class-pools.js';

const RESOURCES = new URL('../fixtures/resource-functions.mjs', import.meta.url);
let pool: FunctionPool;

beforeAll(async () => {
  pool = await createFunctionPool({ modules: [RESOURCES], threads: 1, verifyWorkerStart: true });
}, 30_000);

afterAll(async () => {
  await pool?.close();
});

describe('pool memory classes', () => {
  it('starts the pool of a memory class on its first call, and keeps its crashes to itself', async () => {
    expect(pool).toBeInstanceOf(MemoryClassPools);
    const classes = pool as MemoryClassPools;
    expect(classes.startedClasses).toEqual([]);
    const defaultWorker = await pool.call<number>('whereAmI', null);
    expect(classes.startedClasses).toEqual([]); // a call of another function starts nothing
    const hogWorker = await pool.call<number>('hog', { small: true });
    expect(classes.startedClasses).toEqual([32 * 1024 * 1024]);
    expect(hogWorker).not.toBe(defaultWorker);
    await expect(pool.call('hog', {})).rejects.toSatisfy((e: unknown) => WorkerCrashedError.is(e));
    expect(await pool.call<number>('whereAmI', null)).toBe(defaultWorker); // the one default worker lived
    expect(pool.stats().crashes).toBeGreaterThanOrEqual(1);
    expect(pool.functions).toEqual(expect.arrayContaining(['hog', 'hog@1', 'whereAmI', 'cheap']));
  }, 60_000);
});
