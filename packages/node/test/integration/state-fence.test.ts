/**
 * The fencing write against a real nats-server (JetStream KV): after a new owner fences an actor's state key, every
 * revision-checked save of the old owner fails with `ConflictError`, and the new owner's load holds every write the
 * old owner made before the fence (for a key with a snapshot, and for one without).
 */
import { ConflictError } from '@lucent/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStateStore } from '../../src/state/kv-state-store.js';
import { fenceState } from '../../src/state/state-fence.js';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let store: KvStateStore;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url, noAsyncTraces: true });
  store = await KvStateStore.open(nc, { bucket: 'fence-test' });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('fenceState on JetStream KV', () => {
  it('refuses the old owner’s next save and keeps everything it wrote before the fence', async () => {
    // Old owner A: loaded nothing, then saved twice.
    let revisionOfA = await store.save('counter/f1', { count: 1 }, null);
    revisionOfA = await store.save('counter/f1', { count: 2 }, revisionOfA);
    // New owner B takes the lease over and fences before it loads.
    const fenced = await fenceState(store, 'counter/f1');
    expect(fenced).toBeGreaterThan(revisionOfA);
    expect(await store.load('counter/f1')).toEqual({ snapshot: { count: 2 }, revision: fenced });
    // A, paused meanwhile, wakes up and saves at the revision it knows: refused.
    await expect(store.save('counter/f1', { count: 3 }, revisionOfA)).rejects.toMatchObject({
      code: ConflictError.code,
    });
    expect((await store.load('counter/f1'))?.snapshot).toEqual({ count: 2 });
  });

  it('fences a key that has no snapshot yet, so the old owner’s first save (a create) fails', async () => {
    await fenceState(store, 'counter/f2');
    expect(await store.load('counter/f2')).toMatchObject({ snapshot: null });
    await expect(store.save('counter/f2', { count: 1 }, null)).rejects.toMatchObject({ code: ConflictError.code });
  });

  it('retries from a fresh read when the old owner writes between the fence’s read and write', async () => {
    let revisionOfA = await store.save('counter/f3', { count: 1 }, null);
    // A store that lets A write once right after the fence's first read.
    let interleaved = false;
    const racing = {
      load: async (key: string) => {
        const stored = await store.load(key);
        if (!interleaved) {
          interleaved = true;
          revisionOfA = await store.save(key, { count: 2 }, revisionOfA);
        }
        return stored;
      },
      save: store.save.bind(store),
      delete: store.delete.bind(store),
    };
    const fenced = await fenceState(racing, 'counter/f3');
    expect(await store.load('counter/f3')).toEqual({ snapshot: { count: 2 }, revision: fenced });
    await expect(store.save('counter/f3', { count: 3 }, revisionOfA)).rejects.toMatchObject({
      code: ConflictError.code,
    });
  });
});
