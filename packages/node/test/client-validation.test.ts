/**
 * What the client refuses before anything is sent, and the words its errors use (issue 15): timeouts that are
 * not positive, input that fails a definition's schema, actor messages that are not events, a timeout that
 * names the function rather than a subject, and an unplaceable actor named by its type.
 */
import { SimulatedClock } from '@lucent/actors/internal';
import {
  type ClusterView,
  defineFunction,
  fixedViewSource,
  functionSubject,
  type InputSchema,
  InvalidInputError,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LucentClient } from '../src/client/lucent-client.js';
import { createTestCluster, type TestCluster } from '../src/testing/test-cluster.js';
import type { TransportOptions } from '../src/transport/transport.js';
import { codeOf, rejection } from './error-code.js';
import { counter } from './fixtures/counter-actor.js';

const ACTORS = [new URL('./fixtures/counter-actor.ts', import.meta.url)];
/**
 * A Standard Schema written by hand (core's tests use valibot): any `~standard` v1 object works, which is the
 * point of the spec.
 */
const quoteInput: InputSchema<{ sku: string; qty: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const input = value as { sku?: unknown; qty?: unknown };
      const issues = [];
      if (typeof input?.sku !== 'string') issues.push({ message: 'expected a string', path: ['sku'] });
      if (!Number.isInteger(input?.qty)) issues.push({ message: 'expected an integer', path: [{ key: 'qty' }] });
      return issues.length > 0 ? { issues } : { value: input as { sku: string; qty: number } };
    },
  },
};
const quote = defineFunction({ name: 'quote', input: quoteInput }, (_ctx, input) => ({ total: input.qty * 2 }));
const countPrimes = defineFunction({ name: 'countPrimes' }, (_ctx, _n: number) => 0);

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function clientWith(c: TestCluster, view: ClusterView | null, options: TransportOptions = {}) {
  const transport = await c.connect(options);
  return createClient(view === null ? { transport } : { transport, viewSource: fixedViewSource(view) });
}

const received = (c: TestCluster) => c.nodes.reduce((sum, node) => sum + node.shard.router.stats.received, 0);

describe('client: timeoutMs', () => {
  it('refuses 0, negative and NaN timeouts with ConfigError, per call and as the client default', async () => {
    cluster = await createTestCluster({ nodes: ['a'], actors: ACTORS });
    const client = cluster.client;
    for (const timeoutMs of [0, -1, Number.NaN]) {
      expect(await rejection(client.call(countPrimes, 7, { timeoutMs }))).toMatchObject({ code: 'LUCENT_CONFIG' });
      expect(await rejection(client.actor(counter, 'c').ask({ type: 'get' }, { timeoutMs }))).toMatchObject({
        code: 'LUCENT_CONFIG',
      });
    }
    const transport = await cluster.connect();
    expect(codeOf(() => createClient({ transport, defaultTimeoutMs: 0 }))).toBe('LUCENT_CONFIG');
    expect(received(cluster)).toBe(0);
  });

  it("says 'countPrimes did not answer within 250 ms', not the subject it was sent on", async () => {
    cluster = await createTestCluster({ nodes: ['a'] });
    (await cluster.connect()).subscribe(functionSubject('lucent', 'countPrimes'), () => {}, { queue: 'lucent-fn' });
    const clock = new SimulatedClock();
    const client: LucentClient = await clientWith(cluster, cluster.view, { clock });
    const pending = client.call(countPrimes, 1e6, { timeoutMs: 250 }).catch((error: unknown) => error);
    await cluster.bus?.idle();
    clock.advance(250);
    const error = (await pending) as { code: string; message: string; details: { target: string } };
    expect(error.code).toBe('LUCENT_TIMEOUT');
    expect(error.details.target).toBe('countPrimes');
    expect(error.message).toBe('countPrimes did not answer within 250 ms');
  });
});

describe('client: input schemas', () => {
  it('rejects input that fails the schema with InvalidInputError listing the issues, sending nothing', async () => {
    cluster = await createTestCluster({ nodes: ['a'] });
    const error = await cluster.client.call(quote, { sku: 42, qty: 'x' } as never).catch((e: unknown) => e);
    expect(InvalidInputError.is(error)).toBe(true);
    const { details } = error as InvalidInputError;
    expect(details.name).toBe('quote');
    expect(details.issues.map((issue) => issue.path).sort()).toEqual(['qty', 'sku']);
    expect(received(cluster)).toBe(0);
  });
});

describe('client: actor messages', () => {
  it('refuses a message without a string type with InvalidMessageError before sending it', async () => {
    cluster = await createTestCluster({ nodes: ['a'], actors: ACTORS });
    const handle = cluster.client.actor('counter', 'c-1');
    for (const bad of [{ nope: 1 }, null, 'inc', [1], { type: 3 }]) {
      expect(await rejection(handle.ask(bad))).toMatchObject({ code: 'LUCENT_INVALID_MESSAGE' });
      expect(codeOf(() => handle.tell(bad))).toBe('LUCENT_INVALID_MESSAGE');
    }
    expect(received(cluster)).toBe(0);
  });

  it("names the actor type when no node can take it: 'no node hosts actor type …' / no cluster view", async () => {
    cluster = await createTestCluster({ nodes: ['a'], actors: ACTORS });
    const noView = await clientWith(cluster, null);
    const error = await noView
      .actor('cart', 'c-1')
      .ask({ type: 'add' })
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain("actor type 'cart'");
    expect((error as Error).message).toContain('connectCluster');
    const emptyView = await clientWith(cluster, { ...cluster.view, members: [] });
    const empty = await emptyView
      .actor('cart', 'c-1')
      .ask({ type: 'add' })
      .catch((e: unknown) => e as Error);
    expect((empty as Error).message).toBe("no node hosts actor type 'cart': the cluster has no live members");
  });
});
