/**
 * A fatal stop of the built `lucent-node`: a function module that crashes whenever a worker loads it kills
 * every pool the shard's supervisor starts; past `--pool-max-restarts` the node shuts down gracefully, logs
 * `node.fatal` with the reason and exits 3. The module counts its loads in a temp file (see the fixture).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { fixture } from './cli-fixtures.js';

const processes = new NodeProcesses();
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
    const cli = processes.start({
      args: [
        '--shard',
        's1',
        '--http-port',
        '0',
        '--threads',
        '1',
        '--functions',
        fixture('crash-on-load-after.mjs'),
        '--pool-max-restarts',
        '2',
      ],
      env: { LUCENT_TEST_LOAD_COUNTER: loads, LUCENT_TEST_CRASH_AFTER: '0' },
    });
    expect((await cli.exit(30_000)).code).toBe(3);
    const messages = cli.lines.map((line) => line.msg);
    const fatal = cli.lines.find((line) => line.msg === 'node.fatal');
    expect(fatal).toMatchObject({ level: 'fatal', node: 's1' });
    expect(String(fatal?.reason)).toContain('crash on load');
    // Three pools died (the first and two restarts), each after its one worker failed to load.
    expect(messages.filter((msg) => msg === 'pool.died')).toHaveLength(2);
    expect(messages.filter((msg) => msg === 'pool.restarted')).toHaveLength(2);
    expect(readFileSync(loads, 'utf8')).toHaveLength(3);
    // Left through the graceful shutdown, after the fatal line.
    expect(messages.indexOf('node.stopping')).toBeGreaterThan(messages.indexOf('node.fatal'));
    expect(messages).toContain('node.stopped');
  });
});
