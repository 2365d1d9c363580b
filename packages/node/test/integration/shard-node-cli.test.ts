/**
 * The built `lucent-node` CLI as a child process, standalone (no NATS): readiness, HTTP, SIGTERM, --help and
 * usage errors. Children are killed by pid after each test.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_OPTION_SPECS } from '../../src/config/node-config.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { fixture, httpStatus } from './cli-fixtures.js';

const processes = new NodeProcesses();

afterEach(async () => {
  await processes.killAll();
});

describe('lucent-node standalone', () => {
  it('becomes ready, serves /healthz and /readyz, and exits 0 on SIGTERM', async () => {
    const cli = processes.start({
      args: [
        '--shard',
        's1',
        '--http-port',
        '0',
        '--threads',
        '1',
        '--functions',
        fixture('shard-functions.mjs'),
        '--actors',
        fixture('shard-actors.mjs'),
      ],
    });
    const ready = await cli.waitForLog('node.ready');
    expect(ready).toMatchObject({ shard: 's1', transport: 'memory', level: 'info', node: 's1' });
    const port = ready.httpPort as number;
    expect(port).toBeGreaterThan(0);
    expect(await httpStatus(port, '/healthz')).toBe(200);
    expect(await httpStatus(port, '/readyz')).toBe(200);
    expect(await httpStatus(port, '/metrics')).toBe(200);
    const started = Date.now();
    cli.signal('SIGTERM');
    expect(await cli.exit(10_000)).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(cli.lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['node.stopping', 'node.stopped']));
  });

  it('reads options from LUCENT_* variables and exits 0 on SIGINT too', async () => {
    const cli = processes.start({
      args: [],
      env: { LUCENT_SHARD: 'env-node', LUCENT_HTTP_PORT: '0', LUCENT_LOG_LEVEL: 'debug' },
    });
    const ready = await cli.waitForLog('node.ready');
    expect(ready).toMatchObject({ shard: 'env-node', level: 'info' });
    cli.signal('SIGINT');
    expect((await cli.exit()).code).toBe(0);
  });

  it('--help exits 0 and lists every flag with its environment variable', async () => {
    const cli = processes.start({ args: ['--help'] });
    expect((await cli.exit()).code).toBe(0);
    for (const spec of NODE_OPTION_SPECS) {
      expect(cli.stdout).toContain(spec.flag.split(' ')[0]);
      expect(cli.stdout).toContain(spec.env);
    }
    expect(cli.stdout).toContain('--config');
  });

  it.each([
    [['--shard', 's1', '--http-port', 'eighty'], '--http-port'],
    [['--shard', 's1', '--threads', '0'], '--threads'],
    [['--shard', 'bad.id'], '--shard'],
    [['--shard', 's1', '--log-level', 'loud'], '--log-level'],
    [['--http-port', '0'], '--shard'],
  ])('exits 2 with a message naming the option for %j', async (args, option) => {
    const cli = processes.start({ args: args });
    expect((await cli.exit()).code).toBe(2);
    expect(cli.stderr).toContain(option);
    expect(cli.stdout).not.toContain('node.ready');
  });

  it('exits 2 for an unknown flag and names it', async () => {
    const cli = processes.start({ args: ['--shard', 's1', '--bogus'] });
    expect((await cli.exit()).code).toBe(2);
    expect(cli.stderr).toContain('--bogus');
  });

  it('exits 2 naming the variable when a LUCENT_* value is bad', async () => {
    const cli = processes.start({ args: ['--shard', 's1'], env: { LUCENT_DRAIN_TIMEOUT_MS: 'soon' } });
    expect((await cli.exit()).code).toBe(2);
    expect(cli.stderr).toContain('LUCENT_DRAIN_TIMEOUT_MS');
  });

  it('exits 1 with a JSON error line when startup fails (HTTP port in use)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const cli = processes.start({ args: ['--shard', 's1', '--http-port', String(port)] });
      expect((await cli.exit()).code).toBe(1);
      const failed = cli.lines.find((line) => line.msg === 'node.start_failed');
      expect((failed?.err as { code?: string } | undefined)?.code).toBe('LUCENT_CONFIG');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
