/** The router's decision step, alone: serve here, forward to the owner, or reject with a typed error. */
import {
  askEnvelope,
  callEnvelope,
  controlEnvelope,
  createRegistry,
  defineFunction,
  type Envelope,
  EnvelopeKind,
  eventEnvelope,
  RoutingStates,
  tellEnvelope,
} from '@lucent/core/internal';
import { describe, expect, it } from 'vitest';
import { idleLoad } from '../src/router/overload-gate.js';
import { decideRoute, type RouteDecision, type RouteNode, SERVE } from '../src/router/route-decision.js';
import { viewOf } from './fixed-view.js';

const keyed = defineFunction({ name: 'keyed', shardBy: 'customer' }, (_ctx, x: unknown) => x);
const unkeyed = defineFunction({ name: 'unkeyed' }, (_ctx, x: unknown) => x);
const off = defineFunction({ name: 'off' }, (_ctx, x: unknown) => x);
const functions = createRegistry([keyed, unkeyed, off]);
functions.disable('off');

const view = viewOf('a', 'b', 'c');
const NOW = 1_000_000;

function node(nodeId: string, overrides: Partial<RouteNode> = {}): RouteNode {
  return {
    nodeId,
    functions,
    hopLimit: 3,
    hostsActors: true,
    routingStates: new RoutingStates(),
    load: idleLoad(),
    ...overrides,
  };
}

/** A key of `prefix` + n that `owner` owns in `view`. */
function keyOwnedBy(owner: string, prefix: string): string {
  for (let i = 0; ; i++) if (view.ring.owner(`${prefix}${i}`) === owner) return `${prefix}${i}`;
}

function codeOf(decision: RouteDecision): string {
  if (decision.type !== 'reject') throw new TypeError(`expected a rejection, got ${decision.type}`);
  return decision.error.code;
}

const withHops = (envelope: Envelope, hops: number): Envelope => ({ ...envelope, hops });

describe('decideRoute: calls', () => {
  it('serves an unkeyed function here whatever the view, with the shared SERVE decision', () => {
    expect(decideRoute(callEnvelope('unkeyed', 1), view, node('a'), NOW)).toBe(SERVE);
    expect(decideRoute(callEnvelope('unkeyed@1', 1), view, node('z'), NOW)).toBe(SERVE);
  });

  it('serves a keyed call on the owner of its key and forwards it from everyone else', () => {
    const customer = keyOwnedBy('b', 'customer-');
    const call = callEnvelope('keyed', { customer });
    expect(decideRoute(call, view, node('b'), NOW)).toBe(SERVE);
    expect(decideRoute(call, view, node('a'), NOW)).toEqual({ type: 'node', node: 'b' });
  });

  it("serves a client's retry of a keyed call where it arrives: the client sent it past the owner that failed it", () => {
    const customer = keyOwnedBy('b', 'customer-');
    const retry = callEnvelope('keyed', { customer }, { attempt: 2 });
    expect(decideRoute(retry, view, node('a'), NOW)).toBe(SERVE);
  });

  it('serves everything here without a view or with an empty one', () => {
    const call = callEnvelope('keyed', { customer: keyOwnedBy('b', 'customer-') });
    expect(decideRoute(call, undefined, node('a'), NOW)).toBe(SERVE);
    expect(decideRoute(call, viewOf(), node('a'), NOW)).toBe(SERVE);
  });

  it('rejects unknown and disabled functions and keyed calls without a key, with their typed errors', () => {
    expect(codeOf(decideRoute(callEnvelope('nope', 1), view, node('a'), NOW))).toBe('LUCENT_UNKNOWN_FUNCTION');
    expect(codeOf(decideRoute(callEnvelope('off', 1), view, node('a'), NOW))).toBe('LUCENT_FUNCTION_DISABLED');
    expect(codeOf(decideRoute(callEnvelope('keyed', {}), view, node('a'), NOW))).toBe('LUCENT_ROUTING');
    expect(codeOf(decideRoute(callEnvelope('keyed', null), view, node('a'), NOW))).toBe('LUCENT_ROUTING');
  });
});

describe('decideRoute: actor messages', () => {
  it('serves a tell or ask on the owner of `type/id` and forwards it from everyone else', () => {
    const target = keyOwnedBy('c', 'counter/');
    for (const envelope of [tellEnvelope(target, 1), askEnvelope(target, 1)]) {
      expect(decideRoute(envelope, view, node('c'), NOW)).toBe(SERVE);
      expect(decideRoute(envelope, view, node('a'), NOW)).toEqual({ type: 'node', node: 'c' });
    }
  });

  it('rejects a target that is not type/id (RoutingError on field target)', () => {
    for (const target of ['counter', '/id', 'counter/']) {
      const decision = decideRoute(askEnvelope(target, 1), view, node('a'), NOW);
      expect(codeOf(decision)).toBe('LUCENT_ROUTING');
      expect(decision.type === 'reject' && decision.error.details).toMatchObject({ field: 'target' });
    }
  });

  it('rejects messages to serve here when the node hosts no actors, but still forwards the others', () => {
    const mine = keyOwnedBy('a', 'counter/');
    const theirs = keyOwnedBy('b', 'counter/');
    const bare = node('a', { hostsActors: false });
    const rejected = decideRoute(tellEnvelope(mine, 1), view, bare, NOW);
    expect(codeOf(rejected)).toBe('LUCENT_UNKNOWN_ACTOR_TYPE');
    expect(rejected.type === 'reject' && rejected.error.details).toEqual({ type: 'counter' });
    expect(decideRoute(tellEnvelope(theirs, 1), view, bare, NOW)).toEqual({ type: 'node', node: 'b' });
  });

  it('an owner at load >= 0.9 answers an ask with OverloadedError and its retry-after; tells and forwards go on', () => {
    const mine = keyOwnedBy('a', 'counter/');
    const theirs = keyOwnedBy('b', 'counter/');
    const busy = node('a', { load: { score: 0.93, retryAfterMs: 250 } });
    const refused = decideRoute(askEnvelope(mine, 1), view, busy, NOW);
    expect(codeOf(refused)).toBe('LUCENT_OVERLOADED');
    expect(refused.type === 'reject' && refused.error.details).toMatchObject({
      node: 'a',
      target: mine,
      retryAfterMs: 250,
    });
    expect(decideRoute(tellEnvelope(mine, 1), view, busy, NOW)).toBe(SERVE);
    expect(decideRoute(askEnvelope(theirs, 1), view, busy, NOW)).toEqual({ type: 'node', node: 'b' });
    expect(decideRoute(askEnvelope(mine, 1), view, node('a', { load: { score: 0.89, retryAfterMs: 250 } }), NOW)).toBe(
      SERVE,
    );
  });
});

describe('decideRoute: hop limit, deadline and kinds', () => {
  it('forwards while hops < hopLimit and rejects with HopLimitError from there', () => {
    const ask = askEnvelope(keyOwnedBy('b', 'counter/'), 1);
    expect(decideRoute(withHops(ask, 2), view, node('a'), NOW)).toEqual({ type: 'node', node: 'b' });
    const refused = decideRoute(withHops(ask, 3), view, node('a'), NOW);
    expect(codeOf(refused)).toBe('LUCENT_HOP_LIMIT');
    expect(refused.type === 'reject' && refused.error.details).toEqual({ target: ask.target, hops: 3 });
    // The limit only stops forwards: the owner serves a message whatever its hops.
    expect(decideRoute(withHops(ask, 9), view, node('b'), NOW)).toBe(SERVE);
    expect(codeOf(decideRoute(ask, view, node('a', { hopLimit: 0 }), NOW))).toBe('LUCENT_HOP_LIMIT');
  });

  it('rejects a request whose deadline has passed with TimeoutError before anything else', () => {
    const expired = callEnvelope('nope', 1, { deadline: NOW });
    expect(codeOf(decideRoute(expired, view, node('a'), NOW))).toBe('LUCENT_TIMEOUT');
    expect(decideRoute(callEnvelope('unkeyed', 1, { deadline: NOW + 1 }), view, node('a'), NOW)).toBe(SERVE);
    expect(decideRoute(callEnvelope('unkeyed', 1, { deadline: 0 }), view, node('a'), Number.MAX_SAFE_INTEGER)).toBe(
      SERVE,
    );
  });

  it('serves events where they arrive (the dispatcher places their handlers)', () => {
    expect(decideRoute(eventEnvelope('OrderPlaced', {}), view, node('a'), NOW)).toBe(SERVE);
  });

  it('rejects kinds that are not requests (RoutingError on field kind)', () => {
    const control = controlEnvelope('x', 1);
    for (const kind of [EnvelopeKind.Reply, EnvelopeKind.Error, EnvelopeKind.Control]) {
      const decision = decideRoute({ ...control, kind }, view, node('a'), NOW);
      expect(codeOf(decision)).toBe('LUCENT_ROUTING');
      expect(decision.type === 'reject' && decision.error.details).toMatchObject({ field: 'kind' });
    }
  });
});
