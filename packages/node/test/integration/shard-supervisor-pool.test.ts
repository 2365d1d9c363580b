/**
 * The shard's supervisor with real piscina pools (the compiled `dist/pool/worker.js`: build first) and a
 * function module that crashes on load after N loads (`fixtures/crash-on-load-after.mjs`, counting loads in a
 * temp file named by an environment variable, which every worker thread inherits when it starts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createActorSystem,
  createFunctionActors,
  type LocalActorSystem,
  MemoryStateStore,
} from '@lucent/actors/internal';
import { NodeUnavailableError, WorkerCrashedError } from '@lucent/core/internal';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNodeLogger } from '../../src/logging.js';
import { createFunctionPool } from '../../src/pool/function-pool.js';
import { ShardSupervisor } from '../../src/shard/shard-supervisor.js';
import { codeOfSettled } from '../error-code.js';

const CRASH_ON_LOAD_AFTER = new URL('../fixtures/crash-on-load-after.mjs', import.meta.url);
const CRASH_ON_IMPORT = new URL('../fixtures/crash-on-import.mjs', import.meta.url);
const ENV_KEYS = ['LUCENT_TEST_LOAD_COUNTER', 'LUCENT_TEST_CRASH_AFTER', 'LUCENT_TEST_CRASH_LOADS'] as const;
const WAIT = { timeout: 15_000, interval: 20 };

let dir: string;
let system: LocalActorSystem;
const supervisors: ShardSupervisor[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lucent-supervisor-'));
  system = createActorSystem({ name: 'supervisor-test' });
});

afterEach(async () => {
  for (const supervisor of supervisors.splice(0)) await supervisor.closePool();
  await system.terminate();
  for (const key of ENV_KEYS) delete process.env[key];
  rmSync(dir, { recursive: true, force: true });
});

/** Workers started from now on crash on load numbers (after, after + loads]. */
function crashOnLoad(after: number, loads?: number): void {
  process.env.LUCENT_TEST_LOAD_COUNTER = join(dir, 'loads');
  process.env.LUCENT_TEST_CRASH_AFTER = String(after);
  if (loads === undefined) delete process.env.LUCENT_TEST_CRASH_LOADS;
  else process.env.LUCENT_TEST_CRASH_LOADS = String(loads);
}

async function startSupervisor(maxRestarts: number, fatal: string[]): Promise<ShardSupervisor> {
  const supervisor = await ShardSupervisor.start({
    system,
    nodeId: 'n1',
    createPool: (onDeath) =>
      createFunctionPool({ modules: [CRASH_ON_LOAD_AFTER], threads: 1, closeTimeoutMs: 1_000, onDeath }),
    createActors: () => createFunctionActors({ system, store: new MemoryStateStore(), definitions: [] }),
    supervision: { maxRestarts, windowMs: 60_000, backoff: { minMs: 10, maxMs: 10, jitter: 0 } },
    logger: createNodeLogger({ nodeId: 'n1', level: 'silent' }),
    onFatal: (reason) => fatal.push(reason),
  });
  supervisors.push(supervisor);
  return supervisor;
}

describe('ShardSupervisor with real pools', () => {
  it('restarts a pool whose worker cannot load any more, and calls succeed again', async () => {
    crashOnLoad(1, 1); // load 1 works, load 2 (the replacement of a crashed worker) throws, load 3 works
    const fatal: string[] = [];
    const supervisor = await startSupervisor(3, fatal);
    const pool = supervisor.pool!;
    expect(await pool.call('echo', 'before')).toBe('before');
    await codeOfSettled(pool.call('exitWorker', null)); // the worker exits; its replacement fails to load
    await vi.waitFor(() => expect(supervisor.restartCount).toBe(1), WAIT);
    expect(await pool.call('echo', 'after')).toBe('after');
    expect(fatal).toEqual([]);
  });

  it('asks for a fatal stop when every restarted pool dies too', async () => {
    crashOnLoad(0); // no worker ever loads
    const fatal: string[] = [];
    const supervisor = await startSupervisor(2, fatal);
    await vi.waitFor(() => expect(fatal).toHaveLength(1), WAIT);
    expect(supervisor.restartCount).toBe(2);
    expect(fatal[0]).toContain('crash on load');
    expect(await codeOfSettled(supervisor.pool!.call('echo', 1))).toBe(NodeUnavailableError.code);
  });
});

describe('createFunctionPool onDeath', () => {
  it('reports a pool whose workers all fail to load, and fails its calls instead of retrying them', async () => {
    let died: (reason: string) => void = () => {};
    const death = new Promise<string>((resolve) => {
      died = resolve;
    });
    const pool = await createFunctionPool({ modules: [CRASH_ON_IMPORT], threads: 2, onDeath: (r) => died(r) });
    try {
      const call = codeOfSettled(pool.call('unreachable', 1));
      expect(await death).toContain('cannot load in a worker');
      expect([NodeUnavailableError.code, WorkerCrashedError.code]).toContain(await call);
    } finally {
      await pool.close();
    }
  });
});
