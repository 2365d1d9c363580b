import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lucent/core/internal';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeConfig } from '../src/config/load-config.js';
import { defaultNodeConfig, NODE_OPTION_SPECS, type NodeConfigKey } from '../src/config/node-config.js';
import { configPathFrom, resolveNodeConfig } from '../src/config/resolve-config.js';

const machine = { cpuCount: 3 };

/** Three distinct valid raw values per option (flag, env, file) and what each resolves to. */
const samples: Record<NodeConfigKey, readonly [raw: string, value: unknown][]> = {
  eventDuplicateWindowMs: [
    ['1000', 1000],
    ['2000', 2000],
    ['3000', 3000],
  ],
  eventAckWaitMs: [
    ['500', 500],
    ['600', 600],
    ['700', 700],
  ],
  eventMaxAckPending: [
    ['10', 10],
    ['20', 20],
    ['30', 30],
  ],
  shard: [
    ['f1', 'f1'],
    ['e1', 'e1'],
    ['c1', 'c1'],
  ],
  nats: [
    ['nats://a:1', ['nats://a:1']],
    ['nats://b:1,nats://b:2', ['nats://b:1', 'nats://b:2']],
    ['nats://c:1', ['nats://c:1']],
  ],
  cluster: [
    ['fc', 'fc'],
    ['ec', 'ec'],
    ['cc', 'cc'],
  ],
  natsReplicas: [
    ['3', 3],
    ['1', 1],
    ['5', 5],
  ],
  functions: [
    ['/f/fn.mjs', ['/f/fn.mjs']],
    ['/e/fn.mjs,/e/fn2.mjs', ['/e/fn.mjs', '/e/fn2.mjs']],
    ['/c/fn.mjs', ['/c/fn.mjs']],
  ],
  actors: [
    ['/f/a.mjs', ['/f/a.mjs']],
    ['/e/a.mjs', ['/e/a.mjs']],
    ['/c/a.mjs', ['/c/a.mjs']],
  ],
  effects: [
    ['/f/e.mjs', ['/f/e.mjs']],
    ['/e/e.mjs,/e/e2.mjs', ['/e/e.mjs', '/e/e2.mjs']],
    ['/c/e.mjs', ['/c/e.mjs']],
  ],
  tags: [
    ['gpu', ['gpu']],
    ['eu,fast', ['eu', 'fast']],
    ['ssd', ['ssd']],
  ],
  threads: [
    ['4', 4],
    ['5', 5],
    ['6', 6],
  ],
  httpPort: [
    ['0', 0],
    ['9001', 9001],
    ['9002', 9002],
  ],
  logLevel: [
    ['debug', 'debug'],
    ['warn', 'warn'],
    ['silent', 'silent'],
  ],
  drainTimeoutMs: [
    ['0', 0],
    ['500', 500],
    ['7000', 7000],
  ],
  heartbeatIntervalMs: [
    ['100', 100],
    ['200', 200],
    ['300', 300],
  ],
  loadReportIntervalMs: [
    ['100', 100],
    ['250', 250],
    ['500', 500],
  ],
  rebalance: [
    ['on', 'on'],
    ['off', 'off'],
    ['on', 'on'],
  ],
  leaseTtlMs: [
    ['1000', 1000],
    ['2000', 2000],
    ['3000', 3000],
  ],
  leaseRenewIntervalMs: [
    ['100', 100],
    ['200', 200],
    ['1000', 1000],
  ],
  leaseSweepIntervalMs: [
    ['100', 100],
    ['60000', 60_000],
    ['86400000', 86_400_000],
  ],
  poolMaxRestarts: [
    ['0', 0],
    ['3', 3],
    ['1000', 1000],
  ],
  poolRestartWindowMs: [
    ['1', 1],
    ['30000', 30_000],
    ['86400000', 86_400_000],
  ],
  poolMaxQueue: [
    ['1', 1],
    ['50000', 50_000],
    ['100000000', 100_000_000],
  ],
  actorMailboxSize: [
    ['1', 1],
    ['1000', 1000],
    ['100000000', 100_000_000],
  ],
  logFormat: [
    ['pretty', 'pretty'],
    ['json', 'json'],
    ['auto', 'auto'],
  ],
  natsConnectTimeoutMs: [
    ['0', 0],
    ['5000', 5000],
    ['86400000', 86_400_000],
  ],
  gatewayHost: [
    ['0.0.0.0', '0.0.0.0'],
    ['::1', '::1'],
    ['gateway.local', 'gateway.local'],
  ],
  gatewayTlsCert: [
    ['/tls/a.pem', '/tls/a.pem'],
    ['/tls/b.pem', '/tls/b.pem'],
    ['/tls/c.pem', '/tls/c.pem'],
  ],
  gatewayTlsKey: [
    ['/tls/a.key', '/tls/a.key'],
    ['/tls/b.key', '/tls/b.key'],
    ['/tls/c.key', '/tls/c.key'],
  ],
  gatewayTlsClientCa: [
    ['/tls/a-ca.pem', '/tls/a-ca.pem'],
    ['/tls/b-ca.pem', '/tls/b-ca.pem'],
    ['/tls/c-ca.pem', '/tls/c-ca.pem'],
  ],
  gatewayTokensFile: [
    ['/secrets/a', '/secrets/a'],
    ['/secrets/b', '/secrets/b'],
    ['/secrets/c', '/secrets/c'],
  ],
  healthMaxErrorRatePercent: [
    ['0', 0],
    ['5', 5],
    ['100', 100],
  ],
  healthWindowMs: [
    ['1000', 1000],
    ['60000', 60_000],
    ['3600000', 3_600_000],
  ],
  healthMinRequests: [
    ['1', 1],
    ['20', 20],
    ['1000000', 1_000_000],
  ],
  healthMaxEventLoopDelayMs: [
    ['10', 10],
    ['3000', 3000],
    ['3600000', 3_600_000],
  ],
  natsToken: [
    ['tok1', 'tok1'],
    ['tok2', 'tok2'],
    ['tok3', 'tok3'],
  ],
  natsUser: [
    ['usr1', 'usr1'],
    ['usr2', 'usr2'],
    ['usr3', 'usr3'],
  ],
  natsPassword: [
    ['pw1', 'pw1'],
    ['pw2', 'pw2'],
    ['pw3', 'pw3'],
  ],
  natsNkeySeed: [
    ['/k/seed1', '/k/seed1'],
    ['/k/seed2', '/k/seed2'],
    ['/k/seed3', '/k/seed3'],
  ],
  natsCreds: [
    ['/k/c.creds1', '/k/c.creds1'],
    ['/k/c.creds2', '/k/c.creds2'],
    ['/k/c.creds3', '/k/c.creds3'],
  ],
  natsTlsCa: [
    ['/k/ca.pem1', '/k/ca.pem1'],
    ['/k/ca.pem2', '/k/ca.pem2'],
    ['/k/ca.pem3', '/k/ca.pem3'],
  ],
  natsTlsCert: [
    ['/k/c.pem1', '/k/c.pem1'],
    ['/k/c.pem2', '/k/c.pem2'],
    ['/k/c.pem3', '/k/c.pem3'],
  ],
  natsTlsKey: [
    ['/k/c.key1', '/k/c.key1'],
    ['/k/c.key2', '/k/c.key2'],
    ['/k/c.key3', '/k/c.key3'],
  ],
  eventsPort: [
    ['0', 0],
    ['8443', 8443],
    ['65535', 65535],
  ],
  eventSink: [
    ['OrderPlaced=http://a/x', ['OrderPlaced=http://a/x']],
    ['*=https://b/all,tally*=http://c/t', ['*=https://b/all', 'tally*=http://c/t']],
    ['x=http://127.0.0.1:9/', ['x=http://127.0.0.1:9/']],
  ],
  grpcPort: [
    ['-1', -1],
    ['0', 0],
    ['50051', 50051],
  ],
};

/** Invalid raw values per option. */
const bad: Record<NodeConfigKey, readonly unknown[]> = {
  shard: ['a.b', 'has space', '*', 42],
  eventDuplicateWindowMs: ['99', '86400001', 'x'],
  eventAckWaitMs: ['99', '3600001', 'x'],
  eventMaxAckPending: ['0', '1000001', 'x'],
  nats: ['nats://a:1,,nats://b:1', 'nats://a 1', 7, [1]],
  cluster: ['a.b', '>', ''],
  natsReplicas: ['0', '6', '2.5', 'three', -1],
  functions: [',', 'a b.mjs', {}],
  actors: [',x.mjs', true],
  effects: [',x.mjs', 'a b.mjs', true],
  tags: ['a,,b', 'a b'],
  threads: ['0', '-1', '1.5', 'two', '1025', 2.5, ''],
  httpPort: ['65536', '-1', '80a', 'http', 1.5],
  logLevel: ['loud', 'INFO', 3],
  drainTimeoutMs: ['-5', '1e3', '3600001', 'soon'],
  heartbeatIntervalMs: ['0', '10ms', -1],
  loadReportIntervalMs: ['9', '1s', -1],
  rebalance: ['yes', 'ON', 1],
  leaseTtlMs: ['99', '3600001', '1s', -1],
  leaseRenewIntervalMs: ['9', '3600001', '1s', -1],
  leaseSweepIntervalMs: ['99', '86400001', '1m', -1],
  poolMaxRestarts: ['-1', '1001', '2.5', 'many'],
  poolRestartWindowMs: ['0', '86400001', '1m', -1],
  poolMaxQueue: ['0', '100000001', '1.5', 'lots'],
  actorMailboxSize: ['0', '100000001', '1.5', 'lots'],
  logFormat: ['PRETTY', 'yaml', 1],
  natsConnectTimeoutMs: ['-1', '86400001', '5s'],
  gatewayHost: ['has space', 7, ''],
  gatewayTlsCert: ['a b.pem', 1, ''],
  gatewayTlsKey: ['a b.key', {}, ''],
  gatewayTlsClientCa: ['a b.pem', true],
  gatewayTokensFile: ['a b', []],
  healthMaxErrorRatePercent: ['-1', '101', '5%'],
  healthWindowMs: ['999', '3600001', '1m'],
  healthMinRequests: ['0', '1000001', 'x'],
  healthMaxEventLoopDelayMs: ['9', '3600001', '1s'],
  natsToken: ['has space', 3],
  natsUser: ['has space', 3],
  natsPassword: ['has space', 3],
  natsNkeySeed: ['has space', 3],
  natsCreds: ['has space', 3],
  natsTlsCa: ['has space', 3],
  natsTlsCert: ['has space', 3],
  natsTlsKey: ['has space', 3],
  eventsPort: ['-1', '65536', 'https'],
  eventSink: ['noequals', 'a..b=http://x/', 'A=ftp://x/', 'A=not a url', 'A=http://x/,A=http://x/'],
  grpcPort: ['-2', '65536', 'off', 1.5],
};

function envName(key: NodeConfigKey): string {
  return NODE_OPTION_SPECS.find((s) => s.key === key)!.env;
}

function caught(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (ConfigError.is(error)) return error as ConfigError;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveNodeConfig (pure merge)', () => {
  it('applies the defaults when only the shard is given', () => {
    const config = resolveNodeConfig({ flags: { shard: 'a' }, machine });
    expect(config).toEqual({ shard: 'a', ...defaultNodeConfig(machine) });
    expect(config.threads).toBe(3);
    expect(config.cluster).toBe('lucent');
  });

  it('refuses a lease renewal interval not below the lease TTL', () => {
    const error = caught(() =>
      resolveNodeConfig({ flags: { shard: 'a', leaseTtlMs: '1000', leaseRenewIntervalMs: '1000' }, machine }),
    );
    expect(error.details.field).toBe('leaseRenewIntervalMs');
    expect(
      resolveNodeConfig({ flags: { shard: 'a', leaseTtlMs: '1000', leaseRenewIntervalMs: '999' }, machine }),
    ).toMatchObject({ leaseTtlMs: 1000, leaseRenewIntervalMs: 999 });
  });

  it('covers every option in the sample tables', () => {
    const keys = NODE_OPTION_SPECS.map((s) => s.key).sort();
    expect(Object.keys(samples).sort()).toEqual(keys);
    expect(Object.keys(bad).sort()).toEqual(keys);
  });

  describe.each(NODE_OPTION_SPECS.map((s) => s.key))('option %s', (key) => {
    const [flag, env, file] = samples[key] as [[string, unknown], [string, unknown], [string, unknown]];
    const base = key === 'shard' ? {} : { shard: 'base' };

    it('flag > env > file > default', () => {
      const layers = { env: { [envName(key)]: env[0] }, file: { ...base, [key]: file[0] }, machine };
      expect(resolveNodeConfig({ ...layers, flags: { ...base, [key]: flag[0] } })[key]).toEqual(flag[1]);
      expect(resolveNodeConfig({ ...layers, flags: base })[key]).toEqual(env[1]);
      expect(resolveNodeConfig({ file: { ...base, [key]: file[0] }, machine })[key]).toEqual(file[1]);
      if (key !== 'shard') {
        const fallback = (defaultNodeConfig(machine) as Record<string, unknown>)[key];
        expect(resolveNodeConfig({ flags: base, machine })[key]).toEqual(fallback);
      }
    });

    it('an empty environment variable counts as unset', () => {
      const config = resolveNodeConfig({ env: { [envName(key)]: '' }, file: { ...base, [key]: file[0] }, machine });
      expect(config[key]).toEqual(file[1]);
    });

    it.each(bad[key].map((value) => [value]))('rejects %j from every layer with field = key', (value) => {
      for (const layer of ['flags', 'env', 'file'] as const) {
        // The environment only carries strings.
        if (layer === 'env' && typeof value !== 'string') continue;
        if (layer === 'env' && value === '') continue; // empty env = unset
        const layers =
          layer === 'env'
            ? { flags: base, env: { [envName(key)]: value as string }, machine }
            : {
                ...(layer === 'flags' ? { flags: { ...base, [key]: value } } : { file: { ...base, [key]: value } }),
                machine,
              };
        const error = caught(() => resolveNodeConfig(layers));
        expect(error.code).toBe('LUCENT_CONFIG');
        expect(error.details.field).toBe(key);
      }
    });
  });

  it('validates only the winning value: a flag overrides a bad environment variable', () => {
    const config = resolveNodeConfig({ flags: { shard: 'a', httpPort: '1' }, env: { LUCENT_HTTP_PORT: 'x' }, machine });
    expect(config.httpPort).toBe(1);
  });

  it('requires a shard id (field shard)', () => {
    expect(caught(() => resolveNodeConfig({ machine })).details.field).toBe('shard');
    expect(caught(() => resolveNodeConfig({ env: { LUCENT_SHARD: '' }, machine })).details.field).toBe('shard');
  });

  it('rejects an unknown config-file key (field = that key) and a file that is not an object', () => {
    expect(caught(() => resolveNodeConfig({ file: { shard: 'a', httpport: 1 }, machine })).details.field).toBe(
      'httpport',
    );
    expect(caught(() => resolveNodeConfig({ file: [1], machine })).details.field).toBe('config');
    expect(caught(() => resolveNodeConfig({ file: 'x', machine })).details.field).toBe('config');
  });

  it('accepts lists as arrays (config file, repeated flags) and integers as numbers', () => {
    const config = resolveNodeConfig({
      flags: { shard: 'a', functions: ['/x.mjs', '/y.mjs,/z.mjs'] },
      file: { tags: ['a', 'b'], threads: 2, httpPort: '8081' },
      machine,
    });
    expect(config.functions).toEqual(['/x.mjs', '/y.mjs', '/z.mjs']);
    expect(config.tags).toEqual(['a', 'b']);
    expect(config.threads).toBe(2);
    expect(config.httpPort).toBe(8081);
  });

  it('resolves ./-relative module paths of the config file against its folder, and only those', () => {
    const config = resolveNodeConfig({
      flags: { shard: 'a', actors: './a.mjs' },
      file: { functions: ['./fns/math.mjs', '../up.mjs', '/abs.mjs', 'some-package'] },
      fileBaseDir: '/etc/lucent',
      machine,
    });
    expect(config.functions).toEqual(['/etc/lucent/fns/math.mjs', '/etc/up.mjs', '/abs.mjs', 'some-package']);
    expect(config.actors).toEqual(['./a.mjs']); // a flag is relative to the cwd: left to the loader
  });

  it('names the option and its source in the message', () => {
    const fromEnv = caught(() => resolveNodeConfig({ flags: { shard: 'a' }, env: { LUCENT_THREADS: 'x' }, machine }));
    expect(fromEnv.details.subject).toContain('--threads');
    expect(fromEnv.details.subject).toContain('LUCENT_THREADS');
    const fromFile = caught(() => resolveNodeConfig({ file: { shard: 'a', threads: 'x' }, machine }));
    expect(fromFile.details.subject).toContain("config file key 'threads'");
  });
});

describe('configPathFrom', () => {
  it('prefers the flag, then LUCENT_CONFIG, and treats an empty variable as unset', () => {
    expect(configPathFrom('a.json', { LUCENT_CONFIG: 'b.json' })).toBe('a.json');
    expect(configPathFrom(undefined, { LUCENT_CONFIG: 'b.json' })).toBe('b.json');
    expect(configPathFrom(undefined, { LUCENT_CONFIG: '' })).toBeUndefined();
    expect(configPathFrom(undefined, undefined)).toBeUndefined();
    expect(caught(() => configPathFrom('', {})).details.field).toBe('config');
  });
});

describe('loadNodeConfig (command line, environment, file)', () => {
  let dir: string;
  const output = () => {
    const out = { text: '', err: '' };
    return { out, sink: { writeOut: (t: string) => (out.text += t), writeErr: (t: string) => (out.err += t) } };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lucent-config-'));
    await writeFile(join(dir, 'node.json'), JSON.stringify({ shard: 'file', httpPort: 7001, tags: ['t'], threads: 2 }));
    await writeFile(join(dir, 'broken.json'), '{ nope');
    await writeFile(join(dir, 'fn.mjs'), 'export const x = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges argv > env > --config file > defaults', async () => {
    const { sink } = output();
    const config = await loadNodeConfig({
      args: ['--config', join(dir, 'node.json'), '--http-port', '7003'],
      env: { LUCENT_HTTP_PORT: '7002', LUCENT_THREADS: '4', LUCENT_SHARD: 'env' },
      output: sink,
    });
    expect(config.httpPort).toBe(7003);
    expect(config.threads).toBe(4);
    expect(config.shard).toBe('env');
    expect(config.tags).toEqual(['t']);
    expect(config.cluster).toBe('lucent');
  });

  it('reads the file named by LUCENT_CONFIG, relative to cwd', async () => {
    const { sink } = output();
    const config = await loadNodeConfig({ args: [], env: { LUCENT_CONFIG: 'node.json' }, output: sink, cwd: dir });
    expect(config.shard).toBe('file');
  });

  it('takes variadic and repeated module flags, and makes existing cwd-relative files absolute', async () => {
    const { sink } = output();
    const config = await loadNodeConfig({
      args: ['--shard', 'a', '--functions', 'fn.mjs', 'pkg-name', '--actors', '/x.mjs', '--tags', 'a,b'],
      env: {},
      output: sink,
      cwd: dir,
    });
    expect(config.functions).toEqual([join(dir, 'fn.mjs'), 'pkg-name']);
    expect(config.actors).toEqual(['/x.mjs']);
    expect(config.tags).toEqual(['a', 'b']);
  });

  it('rejects a missing or malformed config file with field config', async () => {
    const { sink } = output();
    for (const file of ['missing.json', 'broken.json']) {
      const error = await loadNodeConfig({
        args: ['--shard', 'a', '--config', file],
        env: {},
        output: sink,
        cwd: dir,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ConfigError.is(error)).toBe(true);
      expect((error as ConfigError).details.field).toBe('config');
    }
  });

  it('throws CommanderError for an unknown option and for --help (exit code 0, every flag listed)', async () => {
    const unknown = output();
    const error = await loadNodeConfig({ args: ['--shard', 'a', '--bogus'], env: {}, output: unknown.sink }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).not.toBe(0);
    expect(unknown.out.err).toContain('--bogus');

    const help = output();
    const helpError = await loadNodeConfig({ args: ['--help'], env: {}, output: help.sink }).catch((e: unknown) => e);
    expect((helpError as CommanderError).exitCode).toBe(0);
    for (const spec of NODE_OPTION_SPECS) {
      expect(help.out.text).toContain(spec.flag.split(' ')[0]);
      expect(help.out.text).toContain(spec.env);
    }
    expect(help.out.text).toContain('--config');
  });
});
