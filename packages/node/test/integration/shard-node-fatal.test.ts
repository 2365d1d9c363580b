/**
 * A fatal stop of the built `lucent-node`: a function module that crashes whenever a worker loads it after the
 * first time (the node only starts once a worker has loaded it) kills every pool the shard's supervisor starts
 * once a call has ended the first worker; past `--pool-max-restarts` the node shuts down gracefully, logs
 * `node.fatal` with the reason and exits 3. The module counts its loads in a temp file (see the fixture).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFunction } from '@lucent/core/internal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectCluster } from '../../src/index.js';
import { startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { fixture } from './cli-fixtures.js';

const processes = new NodeProcesses();
/** The fixture's `exitWorker`, as a client calls it by name. */
const exitWorker = defineFunction({ name: 'exitWorker', retry: { maxAttempts: 1 } }, () => undefined);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lucent-fatal-'));
});

afterEach(async () => {
  await processes.killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('lucent-node fatal stop', () => {
  it('exits 3 after logging node.fatal when the pool dies past its restart budget', async () => {
    const loads = join(dir, 'loads');
    const server = await startNatsServer({ jetstream: false });
    const cli = processes.start({
      args: [
        '--shard',
        's1',
        '--nats',
        server.url,
        '--http-port',
        '0',
        '--threads',
        '1',
        '--functions',
        fixture('crash-on-load-after.mjs'),
        '--pool-max-restarts',
        '2',
      ],
      env: { LUCENT_TEST_LOAD_COUNTER: loads, LUCENT_TEST_CRASH_AFTER: '1' },
    });
    try {
      await cli.waitForLog('node.ready');
      // Ends the one worker; its replacement (load 2) and every restarted pool's worker cannot load.
      const cluster = await connectCluster({ servers: server.url });
      try {
        await cluster.waitForMembers(1);
        await cluster.client.call(exitWorker, null, { timeoutMs: 5_000 }).catch(() => undefined);
      } finally {
        await cluster.close();
      }
      expect((await cli.exit(30_000)).code).toBe(3);
    } finally {
      await server.stop();
    }
    const messages = cli.lines.map((line) => line.msg);
    const fatal = cli.lines.find((line) => line.msg === 'node.fatal');
    expect(fatal).toMatchObject({ level: 'fatal', node: 's1' });
    expect(String(fatal?.reason)).toContain('crash on load');
    // Three pools died (the first and two restarts), each after its one worker failed to load.
    expect(messages.filter((msg) => msg === 'pool.died')).toHaveLength(2);
    expect(messages.filter((msg) => msg === 'pool.restarted')).toHaveLength(2);
    expect(readFileSync(loads, 'utf8')).toHaveLength(4);
    // Left through the graceful shutdown, after the fatal line.
    expect(messages.indexOf('node.stopping')).toBeGreaterThan(messages.indexOf('node.fatal'));
    expect(messages).toContain('node.stopped');
  });
});
