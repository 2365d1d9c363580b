/**
 * State and leases across a nats-server restart (harness `restart()`: same port, same file store). Its own
 * server, since a restart disturbs every connection to it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationLeases } from '../../src/state/activation-lease.js';
import { KvStateStore } from '../../src/state/kv-state-store.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';

let server: NatsServerHandle;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url, noAsyncTraces: true, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** Retries `attempt` until it resolves or `boundMs` passes; the store rejects while JetStream is coming back. */
/**
 * Stops `pid` with SIGSTOP and waits (bounded) until every thread of it is stopped: `kill` returns before the
 * signal has taken effect, and a busy server could otherwise still answer the next request (seen in CI).
 */
async function freeze(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const stopped = (): boolean =>
    readdirSync(`/proc/${pid}/task`).every((task) => {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
    });
  for (let i = 0; i < 200 && !stopped(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(stopped()).toBe(true);
}

async function eventually<T>(attempt: () => Promise<T>, boundMs = 15_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('KV state and leases across a server restart', () => {
  it('keeps snapshots, revisions and leases, and guards writes as before', async () => {
    const store = await KvStateStore.open(nc, { bucket: 'restart-state', timeoutMs: 1_000 });
    const leases = await ActivationLeases.open(nc, { bucket: 'restart-leases', timeoutMs: 1_000 });
    const revision = await store.save('Counter/o-1', { count: 41 }, null);
    const outcome = await leases.acquire('Counter/o-1', 'node-a');
    expect(outcome.type).toBe('lease.acquired');

    await server.restart();

    expect(await eventually(() => store.load('Counter/o-1'))).toEqual({ snapshot: { count: 41 }, revision });
    const next = await eventually(() => store.save('Counter/o-1', { count: 42 }, revision));
    expect(next).toBeGreaterThan(revision);
    await expect(store.save('Counter/o-1', { count: 0 }, revision)).rejects.toMatchObject({ code: 'LUCENT_CONFLICT' });
    const held = await eventually(() => leases.acquire('Counter/o-1', 'node-b'));
    expect(held).toMatchObject({ type: 'lease.held', holder: { owner: 'node-a' } });
  });

  it('times out with TimeoutError while the server does not answer, and works again once it does', async () => {
    // The short timeout is for the frozen phase; opening may still meet JetStream recovering from the restart
    // of the previous test on a loaded machine, so it is retried like every other call after a restart.
    const store = await eventually(() => KvStateStore.open(nc, { bucket: 'restart-state', timeoutMs: 300 }));
    await eventually(() => store.load('Counter/o-1'));
    // Freeze (not kill) the server we started: the connection stays up and requests go unanswered.
    await freeze(server.pid);
    try {
      await expect(store.load('Counter/o-1')).rejects.toMatchObject({ code: 'LUCENT_TIMEOUT' });
      await expect(store.save('Counter/o-9', 1, null)).rejects.toMatchObject({ code: 'LUCENT_TIMEOUT' });
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    expect((await eventually(() => store.load('Counter/o-1')))?.snapshot).toEqual({ count: 42 });
  });
});
