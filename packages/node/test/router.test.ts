/**
 * The request handler over the in-memory transport: placement (local vs forward), forwarding with the hop
 * limit, deadlines, and every error answer carrying the answering node as `origin`.
 */
import {
  ConflictError,
  callEnvelope,
  defineFunction,
  type Envelope,
  EnvelopeCodec,
  EnvelopeKind,
  errorFromWire,
  nodeSubject,
  replyEnvelope,
  type WireError,
} from '@lucent/core';
import { afterEach, describe, expect, it } from 'vitest';
import { rejection, TestCluster, viewOf } from './router-test-cluster.js';

const balance = defineFunction(
  { name: 'balance', shardBy: 'account' },
  (_ctx, input: { account: string; amount: number }) => ({ account: input.account, doubled: input.amount * 2 }),
);
const nested = defineFunction(
  { name: 'nested', shardBy: 'order.customer' },
  (_ctx, input: { order: { customer: number } }) => String(input.order.customer),
);
const echo = defineFunction({ name: 'echo' }, (_ctx, input: unknown) => input);
const fails = defineFunction({ name: 'fails' }, (_ctx, input: number) => {
  if (input < 0) throw new RangeError('negative');
  throw new ConflictError({ key: 'k', expectedRevision: 1, actualRevision: 2 });
});
const unencodable = defineFunction({ name: 'unencodable' }, () => Symbol('nope'));
let release: (value: string) => void = () => {};
const gated = defineFunction({ name: 'gated' }, () => new Promise<string>((resolve) => (release = resolve)));
const FUNCTIONS = [balance, nested, echo, fails, unencodable, gated];

const codec = new EnvelopeCodec();
let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Sends `frame` as a request to `subject` from a fresh connection and decodes the answer. */
async function rawRequest(c: TestCluster, subject: string, frame: Uint8Array): Promise<Envelope> {
  const answer = await c.connect().request(subject, frame, 5_000);
  return codec.decode(answer);
}

/** A key whose owner in `view` is `node`. */
function keyOwnedBy(view: ReturnType<typeof viewOf>, node: string, prefix = 'acct'): string {
  for (let i = 0; i < 10_000; i++) if (view.ring.owner(`${prefix}-${i}`) === node) return `${prefix}-${i}`;
  throw new Error(`no key for ${node}`);
}

describe('request handler: placement', () => {
  it('runs a keyed call on the ring owner of its shard key, without forwards when views agree', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const client = cluster.client();
    const accounts = Array.from({ length: 30 }, (_, i) => `acct-${i}`);
    const results = await Promise.all(accounts.map((account, i) => client.call(balance, { account, amount: i })));
    expect(results.map((r) => r.doubled)).toEqual(accounts.map((_, i) => i * 2));
    expect(cluster.ranOn('balance')).toHaveLength(30);
    for (const run of cluster.runs) {
      expect(run.node).toBe(cluster.fullView.ring.owner((run.input as { account: string }).account));
    }
    // Keys spread: more than one node served them.
    expect(new Set(cluster.ranOn('balance')).size).toBeGreaterThan(1);
    expect(cluster.forwards).toBe(0);
  });

  it('routes by a nested shardBy path, numbers as strings', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const client = cluster.client();
    expect(await client.call(nested, { order: { customer: 42 } })).toBe('42');
    expect(cluster.ranOn('nested')).toEqual([cluster.fullView.ring.owner('42')]);
  });

  it('a client with a stale view (missing a member) still gets the answer, through exactly one forward', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const account = keyOwnedBy(cluster.fullView, 'c');
    const stale = viewOf('a', 'b');
    const client = cluster.client(stale);
    const result = await client.call(balance, { account, amount: 5 });
    expect(result).toEqual({ account, doubled: 10 });
    expect(cluster.ranOn('balance')).toEqual(['c']);
    expect(cluster.forwards).toBe(1);
    expect(cluster.node(stale.ring.owner(account)).handler.stats.forwarded).toBe(1);
  });

  it('a keyed call by name goes to the queue group and is forwarded to its owner when it lands elsewhere', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const client = cluster.client();
    const accounts = Array.from({ length: 12 }, (_, i) => `by-name-${i}`);
    const results = await Promise.all(
      accounts.map((account) => client.call<{ doubled: number }>('balance', { account, amount: 1 })),
    );
    expect(results.every((r) => r.doubled === 2)).toBe(true);
    for (const run of cluster.runs) {
      expect(run.node).toBe(cluster.fullView.ring.owner((run.input as { account: string }).account));
    }
    // Round-robin over three members: a third of the messages land on the owner, the rest forward.
    expect(cluster.forwards).toBeGreaterThan(0);
  });

  it('serves an unkeyed call wherever it lands (queue group), never forwarding', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const client = cluster.client();
    for (let i = 0; i < 4; i++) expect(await client.call(echo, { i })).toEqual({ i });
    expect(new Set(cluster.ranOn('echo'))).toEqual(new Set(['a', 'b']));
    expect(cluster.forwards).toBe(0);
  });

  it('refuses to forward past the hop limit when views disagree in a cycle (HopLimitError)', async () => {
    // a believes b owns everything, b believes a does.
    cluster = new TestCluster({
      nodes: ['a', 'b'],
      functions: FUNCTIONS,
      viewOf: (id) => viewOf(id === 'a' ? 'b' : 'a'),
    });
    const client = cluster.client(viewOf('a'));
    const failure = await rejection(client.call(balance, { account: 'x', amount: 1 }));
    // a -> b (1) -> a (2) -> b (3): b refuses the fourth forward.
    expect(failure).toEqual({ code: 'LUCENT_HOP_LIMIT', origin: 'b' });
    expect(cluster.node('a').handler.stats.forwarded).toBe(2);
    expect(cluster.node('b').handler.stats.forwarded).toBe(1);
    expect(cluster.runs).toHaveLength(0);
  });

  it('honours a configured hop limit of 0: the first non-owner refuses', async () => {
    cluster = new TestCluster({
      nodes: ['a', 'b'],
      functions: FUNCTIONS,
      viewOf: () => viewOf('b'),
      handler: { hopLimit: 0 },
    });
    const client = cluster.client(viewOf('a'));
    expect(await rejection(client.call(balance, { account: 'x', amount: 1 }))).toEqual({
      code: 'LUCENT_HOP_LIMIT',
      origin: 'a',
    });
  });
});

describe('request handler: errors', () => {
  it('answers UnknownFunctionError and FunctionDisabledError with the node as origin', async () => {
    cluster = new TestCluster({ nodes: ['solo'], functions: FUNCTIONS });
    const client = cluster.client();
    const codec = new EnvelopeCodec();
    const answer = await rawRequest(cluster, nodeSubject('lucent', 'solo'), codec.encode(callEnvelope('nope', 1)));
    expect(answer.kind).toBe(EnvelopeKind.Error);
    expect(answer.origin).toBe('solo');
    expect(errorFromWire(answer.payload as WireError)).toMatchObject({
      code: 'LUCENT_UNKNOWN_FUNCTION',
      origin: 'solo',
    });
    cluster.node('solo').registry.disable('echo');
    expect(await rejection(client.call(echo, 1))).toEqual({ code: 'LUCENT_FUNCTION_DISABLED', origin: 'solo' });
  });

  it('answers an expired request with TimeoutError without running it', async () => {
    cluster = new TestCluster({ nodes: ['solo'], functions: FUNCTIONS });
    const expired = callEnvelope('echo', 1, { deadline: 1 });
    const answer = await rawRequest(cluster, nodeSubject('lucent', 'solo'), codec.encode(expired));
    expect(answer.correlationId).toBe(expired.id);
    expect((answer.payload as WireError).code).toBe('LUCENT_TIMEOUT');
    expect(cluster.runs).toHaveLength(0);
    expect(cluster.node('solo').handler.stats.failed).toBe(1);
  });

  it('answers a malformed frame with DecodeError and keeps serving', async () => {
    const decodeFailures: boolean[] = [];
    cluster = new TestCluster({
      nodes: ['solo'],
      functions: FUNCTIONS,
      handler: { observer: { decodeFailed: (_error, replied) => decodeFailures.push(replied) } },
    });
    const subject = nodeSubject('lucent', 'solo');
    const garbage = await rawRequest(cluster, subject, new Uint8Array([0x40, 0xff, 0x00, 0x13]));
    expect(garbage.kind).toBe(EnvelopeKind.Error);
    expect((garbage.payload as WireError).code).toBe('LUCENT_DECODE');
    expect(garbage.origin).toBe('solo');
    // A one-way garbage frame is counted, not answered.
    cluster.connect().send(subject, new Uint8Array([1, 2, 3]));
    const ok = await rawRequest(cluster, subject, codec.encode(callEnvelope('echo', 'still here')));
    expect(ok.kind).toBe(EnvelopeKind.Reply);
    expect(ok.payload).toBe('still here');
    expect(cluster.node('solo').handler.stats.decodeErrors).toBe(2);
    expect(decodeFailures).toEqual([true, false]);
  });

  it('revives handler failures: a plain throw as HandlerError, a Lucent error with its own code', async () => {
    cluster = new TestCluster({ nodes: ['solo'], functions: FUNCTIONS });
    const client = cluster.client();
    expect(await rejection(client.call(fails, -1))).toEqual({ code: 'LUCENT_HANDLER', origin: 'solo' });
    expect(await rejection(client.call(fails, 1))).toEqual({ code: 'LUCENT_CONFLICT', origin: 'solo' });
  });

  it('answers EncodeError when the result cannot cross the wire', async () => {
    cluster = new TestCluster({ nodes: ['solo'], functions: FUNCTIONS });
    expect(await rejection(cluster.client().call(unencodable, null))).toEqual({
      code: 'LUCENT_ENCODE',
      origin: 'solo',
    });
  });

  it('refuses envelopes that are not requests with RoutingError', async () => {
    cluster = new TestCluster({ nodes: ['solo'], functions: FUNCTIONS });
    const stray = replyEnvelope(callEnvelope('echo', 1), 'late');
    const answer = await rawRequest(cluster, nodeSubject('lucent', 'solo'), codec.encode(stray));
    expect((answer.payload as WireError).code).toBe('LUCENT_ROUTING');
  });

  it('rejects a keyed call whose input lacks the shard key (RoutingError), at the client and at the node', async () => {
    cluster = new TestCluster({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const client = cluster.client();
    expect((await rejection(client.call(balance, { amount: 1 } as never))).code).toBe('LUCENT_ROUTING');
    expect(await rejection(client.call('balance', { amount: 1 }))).toMatchObject({ code: 'LUCENT_ROUTING' });
    expect(cluster.runs).toHaveLength(0);
  });
});

describe('request handler: observing and draining', () => {
  it('reports forwards and completions (with error codes) to its observer hooks', async () => {
    const seen: string[] = [];
    cluster = new TestCluster({
      nodes: ['a', 'b'],
      functions: FUNCTIONS,
      handler: {
        observer: {
          forwarded: (kind, target, node) => seen.push(`forwarded ${kind} ${target} -> ${node}`),
          completed: (kind, target, _ms, code) => seen.push(`completed ${kind} ${target} ${code || 'ok'}`),
        },
      },
    });
    const account = keyOwnedBy(cluster.fullView, 'b');
    const client = cluster.client(viewOf('a'));
    await client.call(balance, { account, amount: 1 });
    await rejection(client.call(fails, 1));
    expect(seen).toContain(`forwarded ${EnvelopeKind.Call} balance -> b`);
    expect(seen).toContain(`completed ${EnvelopeKind.Call} balance ok`);
    expect(seen).toContain(`completed ${EnvelopeKind.Call} fails LUCENT_CONFLICT`);
  });

  it('drain() resolves only once the requests it accepted have been answered', async () => {
    cluster = new TestCluster({ nodes: ['solo'], functions: FUNCTIONS });
    const handler = cluster.node('solo').handler;
    const answer = cluster.client().call(gated, null);
    // Bounded: a few event-loop turns carry the request from the client to the handler.
    for (let turn = 0; turn < 50 && handler.inFlight === 0; turn++) await new Promise((r) => setImmediate(r));
    expect(handler.inFlight).toBe(1);
    let drained = false;
    const draining = handler.drain().then(() => {
      drained = true;
    });
    for (let turn = 0; turn < 5; turn++) await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    release('done');
    await draining;
    expect(handler.inFlight).toBe(0);
    expect(await answer).toBe('done');
  });
});
