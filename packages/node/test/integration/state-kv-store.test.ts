/**
 * KvStateStore against a real nats-server (JetStream, file store): the shared StateStore contract, plus what only
 * the real store can get wrong (foreign bytes, oversized values, escaped keys on the wire, bucket naming).
 */
import { ConflictError, DecodeError, EncodeError, NodeUnavailableError } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStateStore } from '../../src/state/kv-state-store.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { codeOfSettled } from '../error-code.js';
import { describeStateStoreContract } from '../state-store-contract.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let buckets = 0;

/** A store on a bucket of its own, so tests never see each other's keys. */
const freshStore = () => KvStateStore.open(nc, { bucket: `state-test-${buckets++}`, timeoutMs: 5_000 });

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url, noAsyncTraces: true });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describeStateStoreContract('KvStateStore', { makeStore: freshStore, propertyRuns: 20 });

describe('KvStateStore on JetStream', () => {
  it('names its bucket after the cluster and shares data between stores on one bucket', async () => {
    const a = await KvStateStore.open(nc, { cluster: 'c1' });
    const b = await KvStateStore.open(nc, { cluster: 'c1' });
    expect(a.bucket).toBe('lucent-c1-state');
    const revision = await a.save('Counter/o-1', { count: 1 }, null);
    expect(await b.load('Counter/o-1')).toEqual({ snapshot: { count: 1 }, revision });
    await expect(b.save('Counter/o-1', { count: 9 }, null)).rejects.toMatchObject({ code: ConflictError.code });
  });

  it('stores keys escaped, so a plain key is readable by NATS tools and odd keys stay valid', async () => {
    const store = await freshStore();
    await store.save('Order/a.b c', 1, null);
    await store.save('Counter/o-1', 2, null);
    const kv = await nc.jetstream().views.kv(store.bucket);
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    expect(keys.sort()).toEqual(['Counter/o-1', 'Order/a=2Eb=20c']);
  });

  it('rejects bytes that are not msgpack with DecodeError', async () => {
    const store = await freshStore();
    const kv = await nc.jetstream().views.kv(store.bucket);
    // An array header promising two items, then only one.
    await kv.put('garbage', new Uint8Array([0x92, 0x01]));
    expect(await codeOfSettled(store.load('garbage'))).toBe(DecodeError.code);
  });

  it('rejects a snapshot over the server max payload with EncodeError and writes nothing', async () => {
    const store = await freshStore();
    const big = { blob: 'x'.repeat((nc.info?.max_payload ?? 1024 * 1024) + 1) };
    expect(await codeOfSettled(store.save('big', big, null))).toBe(EncodeError.code);
    expect(await store.load('big')).toBeNull();
  });

  it('a stale owner cannot overwrite state saved by the new owner', async () => {
    const store = await freshStore();
    const r0 = await store.save('Account/1', { balance: 0 }, null);
    // Both "owners" loaded revision r0; the new owner saves first.
    const r1 = await store.save('Account/1', { balance: 10 }, r0);
    await expect(store.save('Account/1', { balance: -5 }, r0)).rejects.toMatchObject({
      code: ConflictError.code,
      details: { expectedRevision: r0, actualRevision: r1 },
    });
    expect((await store.load('Account/1'))?.snapshot).toEqual({ balance: 10 });
  });

  it('rejects with NodeUnavailableError once its connection is closed', async () => {
    const own = await connect({ servers: server.url });
    const store = await KvStateStore.open(own, { bucket: 'closed-conn' });
    await own.close();
    expect(await codeOfSettled(store.save('k', 1, null))).toBe(NodeUnavailableError.code);
    expect(await codeOfSettled(store.load('k'))).toBe(NodeUnavailableError.code);
  });

  it('fails to open with NodeUnavailableError on a server without JetStream', async () => {
    const plain = await startNatsServer({ jetstream: false });
    const own = await connect({ servers: plain.url });
    try {
      expect(await codeOfSettled(KvStateStore.open(own, { timeoutMs: 1_000 }))).toBe(NodeUnavailableError.code);
    } finally {
      await own.close();
      await plain.stop();
    }
  });
});
