/**
 * A shard node whose function pool keeps dying (a module that crashes whenever a worker loads it) stops
 * fatally: `node.fatal` with the reason, the graceful shutdown, then `onFatalStop`. Uses the compiled worker
 * (`dist/pool/worker.js`): build first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultNodeConfig } from '../../src/config/node-config.js';
import { ShardNode } from '../../src/shard/shard-node.js';

const ENV_KEYS = ['LUCENT_TEST_LOAD_COUNTER', 'LUCENT_TEST_CRASH_AFTER'] as const;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lucent-node-fatal-'));
});

afterEach(() => {
  for (const key of ENV_KEYS) delete process.env[key];
  rmSync(dir, { recursive: true, force: true });
});

describe('ShardNode fatal stop', () => {
  it('logs node.fatal, shuts down gracefully, then calls onFatalStop, once the pool restarts are spent', async () => {
    process.env.LUCENT_TEST_LOAD_COUNTER = join(dir, 'loads');
    // Load 1 (the first pool, which must load for the node to start) works; every load after it crashes.
    process.env.LUCENT_TEST_CRASH_AFTER = '1';
    const logs: Record<string, unknown>[] = [];
    let fatal: (reason: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => {
      fatal = resolve;
    });
    const node = await ShardNode.start({
      config: {
        ...defaultNodeConfig({ cpuCount: 1 }),
        shard: 'n1',
        httpPort: 0,
        threads: 1,
        drainTimeoutMs: 1_000,
        functions: [fileURLToPath(new URL('../fixtures/crash-on-load-after.mjs', import.meta.url))],
        poolMaxRestarts: 1,
      },
      poolSupervision: { backoff: { minMs: 1, maxMs: 1, jitter: 0 } },
      logDestination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
      processMetrics: false,
      onFatalStop: (reason) => fatal(reason),
    });
    // The worker exits; its replacement cannot load: the pool dies, and so does every restarted one.
    await node.context.pool?.call('exitWorker', null).catch(() => undefined);
    const reason = await stopped;
    expect(reason).toContain('crash on load');
    expect(node.fatalReason).toBe(reason);
    expect(node.isReady).toBe(false);
    const messages = logs.map((line) => line.msg);
    expect(logs.find((line) => line.msg === 'node.fatal')).toMatchObject({ reason });
    expect(messages.indexOf('node.fatal')).toBeLessThan(messages.indexOf('node.stopping'));
    expect(messages.indexOf('node.stopping')).toBeLessThan(messages.indexOf('node.stopped'));
    expect(logs.find((line) => line.msg === 'node.stopping')).toMatchObject({ reason: `fatal: ${reason}` });
  });
});
