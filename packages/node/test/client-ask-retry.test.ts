/**
 * A client's ask to a node that is gone is sent again, with the same envelope id, once its view places the actor
 * elsewhere (in-process cluster; the client's poll runs on a simulated clock).
 */
import { SimulatedClock } from '@lucent/actors/internal';
import { type ClusterView, EnvelopeCodec, OverloadedError, type ViewSource } from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/client/lucent-client.js';
import { createTestCluster, type TestCluster } from '../src/testing/test-cluster.js';
import type { Transport } from '../src/transport/transport.js';
import { rejection } from './error-code.js';
import { viewOf } from './fixed-view.js';
import { counter } from './fixtures/counter-actor.js';

const ACTORS = [new URL('./fixtures/counter-actor.ts', import.meta.url)];

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An actor id that `view` places on node `node`. */
function idOwnedBy(view: ClusterView, node: string): string {
  for (let i = 0; ; i++) if (view.ring.owner(`counter/r-${i}`) === node) return `r-${i}`;
}

/** Wraps `transport.request` to record (subject, envelope id) of every request: the twin, observed. */
function recordRequests(transport: Transport): { subject: string; id: string }[] {
  const codec = new EnvelopeCodec();
  const seen: { subject: string; id: string }[] = [];
  const request = transport.request.bind(transport);
  transport.request = (subject, frame, timeoutMs) => {
    seen.push({ subject, id: codec.decode(frame).id });
    return request(subject, frame, timeoutMs);
  };
  return seen;
}

async function setup() {
  cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS });
  const stale = viewOf('a', 'b', 'c', 'gone');
  let current: ClusterView = stale;
  const viewSource: ViewSource = { current: () => current };
  // Envelope deadlines are wall times read by the nodes' real clocks: start the simulated wall at now.
  const clock = new SimulatedClock(0, Date.now());
  const transport = await cluster.connect();
  const requests = recordRequests(transport);
  const client = createClient({ transport, viewSource, clock, defaultTimeoutMs: 10_000 });
  const id = idOwnedBy(stale, 'gone');
  return { cluster, client, clock, requests, id, moveView: (view: ClusterView) => (current = view) };
}

describe('client: ask retried on view change', () => {
  it('waits for the view to move the actor off the gone node, then sends the same id to the new owner', async () => {
    const { cluster: c, client, clock, requests, id, moveView } = await setup();
    let settled = false;
    const answer = client
      .actor(counter, id)
      .ask({ type: 'inc' })
      .finally(() => {
        settled = true;
      });
    for (let i = 0; i < 5; i++) await settle();
    clock.advance(100); // the view still places it on 'gone': no new attempt
    for (let i = 0; i < 5; i++) await settle();
    expect(settled).toBe(false);
    expect(requests).toHaveLength(1);
    moveView(c.view);
    clock.advance(25);
    expect(await answer).toMatchObject({ count: 1 });
    expect(requests).toHaveLength(2);
    expect(requests[1]?.id).toBe(requests[0]?.id);
    expect(requests[0]?.subject).toContain('gone');
    expect(requests[1]?.subject).toContain(c.view.ring.owner(`counter/${id}`));
  });

  it('gives up with the NodeUnavailableError at the ask timeout when the view never moves', async () => {
    const { client, clock, id } = await setup();
    const answer = rejection(client.actor(counter, id).ask({ type: 'inc' }, { timeoutMs: 200 }));
    for (let i = 0; i < 5; i++) await settle();
    for (let i = 0; i < 10; i++) {
      clock.advance(25);
      await settle();
    }
    expect((await answer).code).toBe('LUCENT_NODE_UNAVAILABLE');
  });
});

describe('client: ask refused by an overloaded owner', () => {
  /** A client whose first `refusals` asks are answered OverloadedError (retry after 200 ms) by the owner. */
  async function overloadedOwner(refusals: number) {
    cluster = await createTestCluster({ nodes: ['a', 'b', 'c'], actors: ACTORS });
    const clock = new SimulatedClock(0, Date.now());
    const transport = await cluster.connect();
    const request = transport.request.bind(transport);
    let refused = 0;
    transport.request = (subject, frame, timeoutMs) => {
      if (refused >= refusals) return request(subject, frame, timeoutMs);
      refused++;
      const details = { target: 'counter/x', reason: 'node overloaded', retryAfterMs: 200, node: 'a', load: 1 };
      return Promise.reject(new OverloadedError(details));
    };
    const requests = recordRequests(transport); // on top: refused requests are recorded too
    const view = cluster.view;
    const client = createClient({ transport, viewSource: { current: () => view }, clock, defaultTimeoutMs: 10_000 });
    return { client, clock, requests };
  }

  it('asks again with the same id after the retry-after, not before', async () => {
    const { client, clock, requests } = await overloadedOwner(1);
    let settled = false;
    const answer = client
      .actor(counter, 'o-1')
      .ask({ type: 'inc' })
      .finally(() => {
        settled = true;
      });
    for (let i = 0; i < 5; i++) await settle();
    clock.advance(199);
    for (let i = 0; i < 5; i++) await settle();
    expect(settled).toBe(false);
    expect(requests).toHaveLength(1);
    clock.advance(1);
    expect(await answer).toMatchObject({ count: 1 });
    expect(requests).toHaveLength(2);
    expect(requests[1]?.id).toBe(requests[0]?.id);
  });

  it('throws the refusal when the ask has no time left to wait it out', async () => {
    const { client, clock } = await overloadedOwner(100);
    const answer = rejection(client.actor(counter, 'o-2').ask({ type: 'inc' }, { timeoutMs: 500 }));
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 5; i++) await settle();
      clock.advance(100);
    }
    expect((await answer).code).toBe('LUCENT_OVERLOADED');
  });
});
