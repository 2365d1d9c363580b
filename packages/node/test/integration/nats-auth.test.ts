/**
 * Secured NATS: a real nats-server in each auth mode (token, user/password, NKey, `.creds` JWT, TLS, mTLS), a real
 * `lucent-node` given its credentials through the environment, a client and the `lucent` CLI with the same ones.
 * Wrong credentials fail fast with a clear message instead of a reconnect loop, and secrets never reach the log.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@lucent/core/internal';
import { connect as natsConnect } from 'nats';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connectCluster } from '../../src/client/cluster-client.js';
import { connect } from '../../src/client/lucent-client.js';
import { type CliResult, clusterEnv, LucentCli, natsAuthEnv } from '../../src/testing/lucent-cli.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NodeProcesses } from '../../src/testing/node-process.js';
import { clusterNodeArgs, startNodeProcessCluster } from '../../src/testing/node-process-cluster.js';
import type { NatsAuth } from '../../src/transport/nats-auth.js';
import { fixture } from './cli-fixtures.js';
import { jwtUser, nkeyUser, type TestPki, testPki, tlsServerConfig } from './nats-credentials.js';

const CLUSTER = 'secured';
const HEARTBEAT_MS = 200;
const TOKEN = 's3cret-token-value';
const PASSWORD = 'pa55-word-value';

const processes = new NodeProcesses();
let server: NatsServerHandle | undefined;
let pki: TestPki | undefined;

afterEach(async () => {
  await processes.killAll();
  await server?.stop();
  server = undefined;
});
afterAll(() => processes.killAll());

function certificates(): TestPki {
  pki ??= testPki();
  return pki;
}

const NODE_ARGS = ['--threads', '1', '--functions', fixture('math.mjs'), '--log-level', 'debug'];

/** One node given `auth` through its environment (started alone: the wrong-credentials tests expect it to exit). */
function startNode(auth: NatsAuth, id = 'n1') {
  const where = { cluster: CLUSTER, natsUrl: server?.url ?? '', heartbeatMs: HEARTBEAT_MS };
  return processes.start({ args: clusterNodeArgs(id, where, NODE_ARGS), env: natsAuthEnv(auth) });
}

function lucent(auth: NatsAuth, ...args: string[]): Promise<CliResult> {
  return new LucentCli({ ...clusterEnv(server?.url ?? '', CLUSTER), ...natsAuthEnv(auth) }).run(...args);
}

/** Whether `user` gets an answer from the JetStream API (a denied publish is dropped by the server: a timeout). */
async function jetStreamApiAnswers(url: string, user: string, pass: string): Promise<boolean> {
  const nc = await natsConnect({ servers: url, user, pass });
  try {
    return await nc.request('$JS.API.STREAM.NAMES', undefined, { timeout: 1_500 }).then(
      () => true,
      () => false,
    );
  } finally {
    await nc.close();
  }
}

/** A node with `auth` joins, a client with `auth` calls it, the CLI with `auth` calls it; the log holds no secret. */
async function servesWith(auth: NatsAuth, secrets: readonly string[] = []): Promise<void> {
  if (server === undefined) throw new Error('start the server first');
  const cluster = await startNodeProcessCluster({
    server,
    cluster: CLUSTER,
    nodes: ['n1'],
    heartbeatMs: HEARTBEAT_MS,
    args: NODE_ARGS,
    auth,
  });
  try {
    expect(await cluster.client.call<number>('addOne', 41)).toBe(42);
    const cli = await cluster.cli.run('call', 'double', '21');
    expect(cli.stderr).toBe('');
    expect(cli.stdout.trim()).toBe('42');
    const node = cluster.node('n1');
    await node.stop();
    for (const secret of secrets) expect(node.stdout + node.stderr).not.toContain(secret);
  } finally {
    await cluster.close();
  }
}

describe('a node, a client and the CLI on a secured NATS', () => {
  it('token', async () => {
    server = await startNatsServer({ config: `authorization { token: ${JSON.stringify(TOKEN)} }` });
    await servesWith({ token: TOKEN }, [TOKEN]);
  }, 60_000);

  it('user and password', async () => {
    server = await startNatsServer({
      config: `authorization { users: [ { user: lucent, password: ${JSON.stringify(PASSWORD)} } ] }`,
    });
    await servesWith({ user: 'lucent', password: PASSWORD }, [PASSWORD]);
  }, 60_000);

  it('NKey seed file', async () => {
    const nkey = nkeyUser();
    server = await startNatsServer({ config: nkey.serverConfig });
    await servesWith({ nkeySeedFile: nkey.seedFile });
  }, 60_000);

  it('.creds file (operator JWT mode, JetStream enabled for the account)', async () => {
    const jwt = await jwtUser();
    server = await startNatsServer({ config: jwt.serverConfig });
    await servesWith({ credsFile: jwt.credsFile });
  }, 60_000);

  it('TLS with a test CA, and mTLS with a client certificate', async () => {
    const tls = certificates();
    server = await startNatsServer({ config: tlsServerConfig(tls, false) });
    await servesWith({ tlsCaFile: tls.caFile });
    await server.stop();
    server = await startNatsServer({ config: tlsServerConfig(tls, true) });
    await servesWith({ tlsCaFile: tls.caFile, tlsCertFile: tls.clientCertFile, tlsKeyFile: tls.clientKeyFile });
  }, 90_000);
});

describe('wrong credentials', () => {
  it('a node exits at once with the server’s refusal, not a reconnect loop; the secret is not logged', async () => {
    server = await startNatsServer({ config: `authorization { token: ${JSON.stringify(TOKEN)} }` });
    const node = startNode({ token: 'not-the-token' });
    const exit = await node.exited;
    expect(exit.code).toBe(1);
    const failed = node.lines.find((line) => line.msg === 'node.start_failed');
    expect(JSON.stringify(failed)).toMatch(/refused them \(credentials: token\).*Authorization Violation/i);
    expect(node.lines.some((line) => line.msg === 'nats.connect_retry')).toBe(false);
    expect(node.stdout + node.stderr).not.toContain('not-the-token');
  }, 30_000);

  it('a client gets a ConfigError naming the refusal; the CLI exits 2', async () => {
    server = await startNatsServer({
      config: `authorization { users: [ { user: lucent, password: ${JSON.stringify(PASSWORD)} } ] }`,
    });
    const refused = await connect({
      servers: server.url,
      cluster: CLUSTER,
      auth: { user: 'lucent', password: 'wrong' },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(ConfigError.is(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/refused them \(credentials: user\/password\)/);
    const cli = await lucent({ user: 'lucent', password: 'wrong' }, 'nodes');
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/refused them/);
    expect(cli.stderr).not.toContain('wrong');
  }, 30_000);

  it('a client that does not trust the server’s certificate is refused with a TLS error', async () => {
    const tls = certificates();
    server = await startNatsServer({ config: tlsServerConfig(tls, false) });
    const wrongCa = await connect({
      servers: server.url,
      cluster: CLUSTER,
      auth: { tlsCaFile: tls.clientCertFile },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(wrongCa).toBeInstanceOf(Error);
    expect((wrongCa as Error).message).toMatch(/certificate|tls|self.signed|verify/i);
  }, 30_000);

  it('two kinds of credentials at once are a ConfigError before connecting', async () => {
    server = await startNatsServer({});
    const error = await connect({ servers: server.url, auth: { token: 'a', user: 'u', password: 'p' } }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(ConfigError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(/set one kind of NATS credentials, got token and user\/password/);
  }, 30_000);
});

describe('the least-privilege example (examples/nats/least-privilege.conf)', () => {
  const conf = readFileSync(
    fileURLToPath(new URL('../../../../examples/nats/least-privilege.conf', import.meta.url)),
    'utf8',
  );
  const passwords = {
    LUCENT_NODE_PASSWORD: 'node-pw',
    LUCENT_APP_PASSWORD: 'app-pw',
    LUCENT_ADMIN_PASSWORD: 'admin-pw',
  };

  it('lets a node serve, an app call, ask and emit, the CLI list dead letters; an app may not touch KV', async () => {
    Object.assign(process.env, passwords); // nats-server expands $VARS from its environment (the harness inherits ours)
    server = await startNatsServer({ config: conf });
    const url = server.url;
    const node = processes.start({
      args: [
        ...['--shard', 'n1', '--nats', url, '--http-port', '0', '--threads', '1'],
        ...['--functions', fixture('event-functions.mjs'), '--actors', fixture('shard-actors.mjs')],
      ],
      env: { LUCENT_NATS_USER: 'node', LUCENT_NATS_PASSWORD: 'node-pw' },
    });
    await node.waitForLog('node.ready', 20_000);
    const app = await connectCluster({ servers: url, auth: { user: 'app', password: 'app-pw' } });
    try {
      await app.waitForMembers(1, 10_000);
      expect(await app.client.call<number>('tally', { n: 2 })).toBe(2);
      expect(await app.client.actor('counter', 'c1').ask({ type: 'inc' })).toMatchObject({ count: 1 });
      await app.client.emit('Tick', { n: 1 });
    } finally {
      await app.close();
    }
    // The JetStream API (KV state, stream administration) is the admin's, not the app's.
    expect(await jetStreamApiAnswers(url, 'app', 'app-pw')).toBe(false);
    expect(await jetStreamApiAnswers(url, 'admin', 'admin-pw')).toBe(true);
    const dlq = await lucent({ user: 'admin', password: 'admin-pw' }, 'events', 'dlq', 'list', '--json');
    expect(dlq.stderr).toBe('');
    expect(dlq.code).toBe(0);
    await node.stop();
    expect(node.lines.filter((line) => /violation/i.test(JSON.stringify(line)))).toEqual([]);
  }, 60_000);
});
