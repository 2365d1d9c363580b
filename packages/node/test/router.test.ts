/**
 * The request handler as a unit, over the in-memory transport: handlers with fixed views (so views can disagree on
 * purpose), an inline runner that records where each call ran, and the handler's own options (observer, hop
 * limit). Forwarding with the hop limit, deadlines, draining, and every error answer carrying the answering node
 * as `origin`. Placement across a real cluster (real shard nodes, membership views, worker pools) is in
 * test/integration/test-cluster-routing.test.ts.
 */
import {
  type ClusterView,
  ConflictError,
  callEnvelope,
  createRegistry,
  defineFunction,
  type Envelope,
  EnvelopeCodec,
  EnvelopeKind,
  errorFromWire,
  type FunctionDefinition,
  type FunctionRegistry,
  fixedViewSource,
  nodeSubject,
  placedNodeSubject,
  replyEnvelope,
  type WireError,
} from '@lucent/core/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type LucentClient } from '../src/client/lucent-client.js';
import { createInlineRunner, type FunctionRunner } from '../src/router/function-runner.js';
import { type RequestHandlerOptions, RoutingRequestHandler } from '../src/router/request-handler.js';
import { subscribeRequestHandler } from '../src/router/router-subscriptions.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport } from '../src/transport/in-memory-transport.js';
import { rejection } from './error-code.js';
import { viewOf } from './fixed-view.js';

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

interface HandlerNode {
  readonly handler: RoutingRequestHandler;
  readonly registry: FunctionRegistry;
}

/**
 * Handlers on one bus, one per node id, each with its own registry, a fixed view (default: every node) and an
 * inline runner that records where each call ran. Not a cluster (no membership, no shard node): the handler
 * alone, with views no real membership would produce.
 */
class Handlers {
  readonly bus = new InMemoryBus();
  readonly nodes = new Map<string, HandlerNode>();
  readonly runs: { node: string; name: string; input: unknown }[] = [];
  readonly fullView: ClusterView;
  readonly #transports: InMemoryTransport[] = [];

  constructor(options: {
    readonly nodes: readonly string[];
    readonly functions: readonly FunctionDefinition[];
    readonly viewOf?: (nodeId: string) => ClusterView;
    readonly handler?: Partial<RequestHandlerOptions>;
  }) {
    this.fullView = viewOf(...options.nodes);
    for (const id of options.nodes) {
      const registry = createRegistry(options.functions);
      const inline = createInlineRunner(registry);
      const runner: FunctionRunner = {
        call: (name, input, runOptions) => {
          this.runs.push({ node: id, name, input });
          return inline.call(name, input, runOptions);
        },
      };
      const transport = this.connect();
      const view = options.viewOf?.(id) ?? this.fullView;
      const handler = new RoutingRequestHandler({
        nodeId: id,
        transport,
        functions: registry,
        runner,
        view: fixedViewSource(view),
        ...options.handler,
      });
      subscribeRequestHandler(transport, handler, { nodeId: id, functions: registry });
      this.nodes.set(id, { handler, registry });
    }
  }

  node(id: string): HandlerNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  connect(): InMemoryTransport {
    const transport = new InMemoryTransport(this.bus);
    this.#transports.push(transport);
    return transport;
  }

  /** A client routing with `view` (default: the full view). */
  client(view: ClusterView = this.fullView): LucentClient {
    return createClient({ transport: this.connect(), viewSource: fixedViewSource(view) });
  }

  async close(): Promise<void> {
    await Promise.all(this.#transports.map((t) => t.close()));
  }
}

const codec = new EnvelopeCodec();
let cluster: Handlers | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Sends `frame` as a request to `subject` from a fresh connection and decodes the answer. */
async function rawRequest(c: Handlers, subject: string, frame: Uint8Array): Promise<Envelope> {
  const answer = await c.connect().request(subject, frame, 5_000);
  return codec.decode(answer);
}

/** A key whose owner in `view` is `node`. */
function keyOwnedBy(view: ReturnType<typeof viewOf>, node: string, prefix = 'acct'): string {
  for (let i = 0; i < 10_000; i++) if (view.ring.owner(`${prefix}-${i}`) === node) return `${prefix}-${i}`;
  throw new Error(`no key for ${node}`);
}

describe('request handler: forwarding', () => {
  it('refuses to forward past the hop limit when views disagree in a cycle (HopLimitError)', async () => {
    // a believes b owns everything, b believes a does.
    cluster = new Handlers({
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
});

describe('request handler: placed subjects (the sender names the placement tag it placed under)', () => {
  it("a client with the same view sends a hash call to the owner's placed subject; the owner serves it unplaced", async () => {
    cluster = new Handlers({ nodes: ['a', 'b', 'c'], functions: FUNCTIONS });
    const account = keyOwnedBy(cluster.fullView, 'b');
    expect(await cluster.client().call(balance, { account, amount: 2 })).toEqual({ account, doubled: 4 });
    expect(cluster.runs.map((run) => run.node)).toEqual(['b']);
    expect(cluster.bus.publishedTo(placedNodeSubject('lucent', 'b', cluster.fullView.placementTag))).toBe(1);
    expect(cluster.node('b').handler.stats.placedHere).toBe(1);
    expect([...cluster.nodes.values()].map((node) => node.handler.stats.forwarded)).toEqual([0, 0, 0]);
  });

  it("under the node's own tag the call is served where it came, unplaced: the tag vouches for the ring", async () => {
    cluster = new Handlers({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const account = keyOwnedBy(cluster.fullView, 'b');
    // Sent to a (not the owner) under a's own tag: only a sender with a different ring could do this, so a trusts it.
    const subject = placedNodeSubject('lucent', 'a', cluster.fullView.placementTag);
    const answer = await rawRequest(cluster, subject, codec.encode(callEnvelope('balance', { account, amount: 1 })));
    expect(answer.payload).toEqual({ account, doubled: 2 });
    expect(cluster.runs.map((run) => run.node)).toEqual(['a']);
    expect(cluster.node('a').handler.stats.placedHere).toBe(1);
  });

  it("under another tag (a stale sender's view) the node places the call again and forwards it to the owner", async () => {
    cluster = new Handlers({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const stale = viewOf('a');
    expect(stale.placementTag).not.toBe(cluster.fullView.placementTag);
    const account = keyOwnedBy(cluster.fullView, 'b');
    expect(await cluster.client(stale).call(balance, { account, amount: 3 })).toEqual({ account, doubled: 6 });
    expect(cluster.bus.publishedTo(placedNodeSubject('lucent', 'a', stale.placementTag))).toBe(1);
    expect(cluster.runs.map((run) => run.node)).toEqual(['b']);
    expect(cluster.node('a').handler.stats).toMatchObject({ placedHere: 0, forwarded: 1 });
  });

  it('calls of other strategies and retries keep the plain node subject', async () => {
    cluster = new Handlers({ nodes: ['a'], functions: FUNCTIONS });
    await cluster.client().call(echo, 1);
    expect(cluster.bus.publishedTo(placedNodeSubject('lucent', 'a', cluster.fullView.placementTag))).toBe(0);
    expect(cluster.node('a').handler.stats.placedHere).toBe(0);
  });
});

describe('request handler: errors', () => {
  it('answers UnknownFunctionError and FunctionDisabledError with the node as origin', async () => {
    cluster = new Handlers({ nodes: ['solo'], functions: FUNCTIONS });
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
    cluster = new Handlers({ nodes: ['solo'], functions: FUNCTIONS });
    const expired = callEnvelope('echo', 1, { deadline: 1 });
    const answer = await rawRequest(cluster, nodeSubject('lucent', 'solo'), codec.encode(expired));
    expect(answer.correlationId).toBe(expired.id);
    expect((answer.payload as WireError).code).toBe('LUCENT_TIMEOUT');
    expect(cluster.runs).toHaveLength(0);
    expect(cluster.node('solo').handler.stats.failed).toBe(1);
  });

  it('answers a malformed frame with DecodeError and keeps serving', async () => {
    const decodeFailures: boolean[] = [];
    cluster = new Handlers({
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
    cluster = new Handlers({ nodes: ['solo'], functions: FUNCTIONS });
    const client = cluster.client();
    expect(await rejection(client.call(fails, -1))).toEqual({ code: 'LUCENT_HANDLER', origin: 'solo' });
    expect(await rejection(client.call(fails, 1))).toEqual({ code: 'LUCENT_CONFLICT', origin: 'solo' });
  });

  it('answers EncodeError when the result cannot cross the wire', async () => {
    cluster = new Handlers({ nodes: ['solo'], functions: FUNCTIONS });
    expect(await rejection(cluster.client().call(unencodable, null))).toEqual({
      code: 'LUCENT_ENCODE',
      origin: 'solo',
    });
  });

  it('refuses envelopes that are not requests with RoutingError', async () => {
    cluster = new Handlers({ nodes: ['solo'], functions: FUNCTIONS });
    const stray = replyEnvelope(callEnvelope('echo', 1), 'late');
    const answer = await rawRequest(cluster, nodeSubject('lucent', 'solo'), codec.encode(stray));
    expect((answer.payload as WireError).code).toBe('LUCENT_ROUTING');
  });

  it('rejects a keyed call whose input lacks the shard key (RoutingError), at the client and at the node', async () => {
    cluster = new Handlers({ nodes: ['a', 'b'], functions: FUNCTIONS });
    const client = cluster.client();
    expect((await rejection(client.call(balance, { amount: 1 } as never))).code).toBe('LUCENT_ROUTING');
    expect(await rejection(client.call('balance', { amount: 1 }))).toMatchObject({ code: 'LUCENT_ROUTING' });
    expect(cluster.runs).toHaveLength(0);
  });
});

describe('request handler: observing and draining', () => {
  it('reports forwards and completions (with error codes) to its observer hooks', async () => {
    const seen: string[] = [];
    cluster = new Handlers({
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
    cluster = new Handlers({ nodes: ['solo'], functions: FUNCTIONS });
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

describe('request handler: answering a run that was over on return', () => {
  /** A handler whose runner answers `echo` at once (as the pool's inline runs do) and `fails` with a rejection. */
  function handlerWithCallNow(completed: string[]): RoutingRequestHandler {
    const registry = createRegistry(FUNCTIONS);
    const inline = createInlineRunner(registry);
    const runner: FunctionRunner = {
      call: (name, input, options) => inline.call(name, input, options),
      callNow: (name, input, options) => (name === 'echo' ? input : inline.call(name, input, options)),
    };
    cluster = new Handlers({ nodes: [], functions: [] });
    return new RoutingRequestHandler({
      nodeId: 'n1',
      transport: cluster.connect(),
      functions: registry,
      runner,
      observer: { completed: (_kind, target, _ms, code) => completed.push(`${target}:${code}`) },
    });
  }

  it('replies before handle() returns, with no promise in between; other outcomes when they settle', async () => {
    const completed: string[] = [];
    const handler = handlerWithCallNow(completed);
    const replies: Envelope[] = [];
    const replier = () => ({ reply: (frame: Uint8Array) => replies.push(codec.decode(frame)) > 0 });
    handler.handle(codec.encode(callEnvelope('echo', { x: 1 })), replier());
    expect(replies.map((r) => [r.kind, r.payload])).toEqual([[EnvelopeKind.Reply, { x: 1 }]]);
    expect(completed).toEqual(['echo:']);
    expect(handler.inFlight).toBe(0);

    handler.handle(codec.encode(callEnvelope('fails', -1)), replier());
    expect(replies).toHaveLength(1);
    await handler.drain();
    expect(replies[1]?.kind).toBe(EnvelopeKind.Error);
    expect(errorFromWire(replies[1]?.payload as WireError).code).toBe('LUCENT_HANDLER');
    expect(completed).toEqual(['echo:', 'fails:LUCENT_HANDLER']);
  });
});
