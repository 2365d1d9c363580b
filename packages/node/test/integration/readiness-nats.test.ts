/**
 * `/readyz` follows the node's NATS connection (issue 15): 503 with the reason while NATS is down, `/healthz`
 * stays 200 and says why the node is not ready, and both recover when the server is back. Real nats-server
 * (killed by pid, restarted on the same port) and an in-process ShardNode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultNodeConfig } from '../../src/config/node-config.js';
import { ShardNode } from '../../src/shard/shard-node.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';

let server: NatsServerHandle;
let node: ShardNode | undefined;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
});

afterAll(async () => {
  await node?.shutdown('test end');
  await server?.stop();
});

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${node?.httpPort}${path}`);
  return { status: response.status, body: await response.text() };
}

/** Polls `path` (bounded: 15 s) until its status is `status`. */
async function until(path: string, status: number): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 15_000;
  let last = await get(path);
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await get(path);
  }
  return last;
}

describe('readiness across a NATS outage', () => {
  it('answers /readyz 503 while NATS is down, with the reason also on /healthz, and 200 once it is back', async () => {
    node = await ShardNode.start({
      config: { ...defaultNodeConfig({ cpuCount: 1 }), shard: 'r1', httpPort: 0, nats: [server.url], cluster: 'rd' },
      httpHost: '127.0.0.1',
      processMetrics: false,
      logDestination: { write: () => {} },
    });
    expect(await get('/readyz')).toEqual({ status: 200, body: '{"status":"ready"}\n' });
    expect(JSON.parse((await get('/healthz')).body)).toMatchObject({ status: 'ok', ready: true });

    process.kill(server.pid, 'SIGKILL');
    const down = await until('/readyz', 503);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({
      status: 'not ready',
      reasons: [expect.stringMatching(/^NATS disconnected/)],
    });
    const health = await get('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({
      status: 'ok',
      ready: false,
      notReady: expect.stringMatching(/^NATS disconnected/),
    });
    expect(node.isReady).toBe(false);

    await server.restart();
    expect((await until('/readyz', 200)).status).toBe(200);
    expect(JSON.parse((await get('/healthz')).body)).toMatchObject({ status: 'ok', ready: true });
  }, 40_000);
});
