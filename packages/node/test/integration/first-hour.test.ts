/**
 * Issue 15, "the first hour of a new user", against the built `lucent-node`: `--version`, `--help`, error lines,
 * the standalone ready line, log formats, TypeScript modules (`node --import tsx`), a module that loads on the
 * main thread but not in a worker, a node started before its NATS server, reconnect log lines, and what
 * shutdown reports.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NODE_OPTION_SPECS } from '../../src/config/node-config.js';
import { connectCluster } from '../../src/index.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { tsAdd } from '../fixtures/typescript-functions.js';
import { fixture } from './cli-fixtures.js';

const processes = new NodeProcesses();
const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
/** The repository root: `--import tsx` resolves there (tsx is a devDependency of the repository, for this test). */
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

afterEach(async () => {
  await processes.killAll();
});

const errOf = (line: Record<string, unknown> | undefined) =>
  (line?.err ?? {}) as { code?: string; message?: string; details?: { field?: string } };

describe('lucent-node command line', () => {
  it('--version prints the package version and exits 0', async () => {
    const cli = processes.start({ args: ['--version'] });
    expect((await cli.exit()).code).toBe(0);
    expect(cli.stdout.trim()).toBe(version);
  });

  it('--help shows each default once and lists the config file keys', async () => {
    const cli = processes.start({ args: ['--help'] });
    expect((await cli.exit()).code).toBe(0);
    const help = cli.stdout.replace(/\s+/g, ' ');
    expect(help).not.toMatch(/\(default: [^)]*\) \(default:/);
    expect(help).toContain('pool worker threads (default: core count, env: LUCENT_THREADS)');
    const keys = /Config file keys \(JSON object\): ([^.]+)\./.exec(help)?.[1]?.split(', ');
    expect(keys).toEqual(NODE_OPTION_SPECS.map((spec) => spec.key));
  });

  it('names the program once in an error line', async () => {
    const cli = processes.start({ args: ['--shard', 's1', '--threads', 'x'] });
    expect((await cli.exit()).code).toBe(2);
    expect(cli.stderr.split('\n')[0]).toMatch(/^lucent-node: option --threads: invalid threads/);
    expect(cli.stderr).not.toContain('lucent-node: lucent-node');
  });

  it('says in the standalone ready line that no client can reach it, and counts what shutdown did', async () => {
    const node = processes.start({ args: ['--shard', 's1', '--http-port', '0', '--log-format', 'json'] });
    const ready = await node.waitForLog('node.ready');
    expect(ready.transport).toBe('memory');
    expect(String(ready.reachable)).toContain('no client');
    expect((await node.stop()).code).toBe(0);
    const stopped = node.lines.find((line) => line.msg === 'node.stopped');
    expect(stopped).toMatchObject({ callsDrained: 0, callsLeft: 0, actorsSaved: 0 });
  });

  it('--log-format pretty writes lines for people, json one object per line', async () => {
    const pretty = processes.start({ args: ['--shard', 's1', '--http-port', '0', '--log-format', 'pretty'] });
    await pretty.waitForOutput('node.ready');
    expect(pretty.lines).toHaveLength(0);
    expect(pretty.stdout).toMatch(/INFO.*node\.ready/);
    const json = processes.start({ args: ['--shard', 's2', '--http-port', '0'] }); // stdout is a pipe: auto = json
    expect((await json.waitForLog('node.ready')).level).toBe('info');
  });
});

describe('function modules a worker must load', () => {
  it('fails at start with a ConfigError that says what to do for a .ts module without a loader', async () => {
    const node = processes.start({
      args: ['--shard', 's1', '--http-port', '0', '--functions', fixture('typescript-functions.ts')],
    });
    expect((await node.exit()).code).toBe(1);
    const err = errOf(node.lines.find((line) => line.msg === 'node.start_failed'));
    expect(err.code).toBe('LUCENT_CONFIG');
    expect(err.details?.field).toBe('functions');
    expect(err.message).toContain('--import tsx');
    expect(err.message?.match(/Unknown file extension/g)).toHaveLength(1);
  });

  it('fails at start, before ready, when a module loads on the main thread but not in a worker', async () => {
    const node = processes.start({
      args: ['--shard', 's1', '--http-port', '0', '--threads', '1', '--functions', fixture('fails-in-worker.mjs')],
    });
    expect((await node.exit(20_000)).code).toBe(1);
    expect(node.lines.some((line) => line.msg === 'node.ready')).toBe(false);
    const err = errOf(node.lines.find((line) => line.msg === 'node.start_failed'));
    expect(err.code).toBe('LUCENT_CONFIG');
    expect(err.message).toContain('cannot load in a worker thread');
  });
});

describe('on NATS', () => {
  let server: NatsServerHandle | undefined;
  afterEach(async () => {
    await processes.killAll();
    await server?.stop();
    server = undefined;
  });

  it('runs a TypeScript function module in its workers under node --import tsx', async () => {
    server = await startNatsServer({ jetstream: false });
    const node = processes.start({
      cwd: repoRoot,
      execArgv: ['--import', 'tsx'],
      args: ['--shard', 's1', '--cluster', 'ts', '--nats', server.url, '--http-port', '0', '--threads', '1'].concat(
        '--functions',
        fixture('typescript-functions.ts'),
      ),
    });
    await node.waitForLog('node.ready', 30_000);
    const cluster = await connectCluster({ servers: server.url, cluster: 'ts' });
    try {
      await cluster.waitForMembers(1);
      expect(await cluster.client.call(tsAdd, { a: 2, b: 40 }, { timeoutMs: 10_000 })).toBe(42);
    } finally {
      await cluster.close();
    }
  }, 60_000);

  it('waits for a NATS server started after it (one log line per attempt), then logs one line per outage', async () => {
    const port = await freePort();
    const node = processes.start({
      args: ['--shard', 's1', '--nats', `nats://127.0.0.1:${port}`, '--http-port', '0'],
    });
    const retry = await node.waitForLog('nats.connect_retry');
    expect(retry).toMatchObject({ level: 'warn', attempt: 1 });
    server = await startNatsServer({ jetstream: false, port });
    await node.waitForLog('node.ready', 30_000);
    const attempts = node.lines.filter((line) => line.msg === 'nats.connect_retry').map((line) => line.attempt);
    expect(attempts).toEqual(attempts.map((_, i) => i + 1));

    await server.restart();
    const reconnected = await node.waitForLog('nats.reconnected', 30_000);
    expect(reconnected.level).toBe('info');
    expect(reconnected.attempts as number).toBeGreaterThanOrEqual(1);
    expect(typeof reconnected.outageMs).toBe('number');
    const disconnected = node.lines.filter((line) => line.msg === 'nats.disconnected');
    expect(disconnected).toHaveLength(1);
    expect(disconnected[0]?.level).toBe('warn');
    expect(node.lines.filter((line) => line.msg === 'nats.reconnecting' && line.level === 'info')).toHaveLength(0);
  }, 60_000);

  it('gives up after --nats-connect-timeout-ms with a TimeoutError naming NATS', async () => {
    const port = await freePort();
    const node = processes.start({
      args: ['--shard', 's1', '--nats', `nats://127.0.0.1:${port}`, '--http-port', '0'].concat(
        '--nats-connect-timeout-ms',
        '1000',
      ),
    });
    expect((await node.exit(20_000)).code).toBe(1);
    const err = errOf(node.lines.find((line) => line.msg === 'node.start_failed'));
    expect(err.code).toBe('LUCENT_TIMEOUT');
    expect(err.message).toContain(`NATS at nats://127.0.0.1:${port} did not answer within 1000 ms`);
  });

  it('stops at once on SIGTERM while still waiting for NATS', async () => {
    const port = await freePort();
    const node = processes.start({ args: ['--shard', 's1', '--nats', `nats://127.0.0.1:${port}`, '--http-port', '0'] });
    await node.waitForLog('nats.connect_retry');
    const exit = await node.stop();
    expect(exit.signal).toBeNull();
    expect(node.lines.some((line) => line.msg === 'node.ready')).toBe(false);
  });
});

afterAll(async () => {
  await processes.killAll();
});
