/**
 * NatsTransport across a nats-server restart (harness `restart()`: same port, same store). Its own server,
 * since a restart disturbs every connection to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { NatsTransport } from '../../src/transport/nats-transport.js';
import type { TransportStatusEvent } from '../../src/transport/transport.js';

let server: NatsServerHandle;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
});

afterAll(async () => {
  await server?.stop();
});

describe('NatsTransport across a server restart', () => {
  it('reconnects, reports it, and serves requests again', async () => {
    const client = await NatsTransport.connect({ servers: server.url, reconnectTimeWaitMs: 100 });
    const responder = await NatsTransport.connect({ servers: server.url, reconnectTimeWaitMs: 100 });
    try {
      const events: TransportStatusEvent['type'][] = [];
      client.onStatus((e) => events.push(e.type));
      responder.subscribe('it.restart', (f, replier) => replier?.reply(f));
      await responder.flush();
      expect([...(await client.request('it.restart', new Uint8Array([1]), 2_000))]).toEqual([1]);

      const pidBefore = server.pid;
      await server.restart();
      expect(server.pid).not.toBe(pidBefore);

      // Bounded retry: the first requests may be lost while both connections reconnect and resubscribe.
      const deadline = Date.now() + 15_000;
      let reply: Uint8Array | undefined;
      while (reply === undefined && Date.now() < deadline) {
        reply = await client.request('it.restart', new Uint8Array([2]), 500).catch(() => undefined);
      }
      expect(reply === undefined ? undefined : [...reply]).toEqual([2]);
      expect(events).toContain('disconnected');
      expect(events).toContain('reconnected');
    } finally {
      await client.close();
      await responder.close();
    }
  });
});
