/**
 * The gRPC gateway of a standalone node (in this process, in-memory bus, no NATS): actors are reachable without
 * a cluster view, Subscribe streams what Emit stores, bad Subscribe requests are INVALID_ARGUMENT, and a port in
 * use fails the start with ConfigError.
 */
import * as grpc from '@grpc/grpc-js';
import { ConfigError } from '@lucent/core/internal';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultNodeConfig, type NodeConfig } from '../../src/config/node-config.js';
import { ShardNode } from '../../src/shard/shard-node.js';
import { fixture } from './cli-fixtures.js';
import { GatewayClient, jsonEvent } from './grpc-test-client.js';

const silent = { write: () => {} };
const root = new protobuf.Root();
root.addJSON(protobuf.common.get('google/protobuf/struct.proto')?.nested ?? {});
root.resolveAll();
let node: ShardNode;
let client: GatewayClient;

function config(shard: string, grpcPort: number): NodeConfig {
  return {
    ...defaultNodeConfig({ cpuCount: 1 }),
    shard,
    httpPort: 0,
    grpcPort,
    threads: 1,
    functions: [fixture('gateway-functions.mjs')],
    actors: [fixture('shard-actors.mjs')],
  };
}

beforeAll(async () => {
  node = await ShardNode.start({ config: config('solo', 0), processMetrics: false, logDestination: silent });
  client = new GatewayClient(`127.0.0.1:${node.grpc?.port}`);
});

afterAll(async () => {
  client?.close();
  await node?.shutdown('test end');
});

describe('gRPC gateway of a standalone node', () => {
  it('reaches actors without a cluster view (the node serves every key)', async () => {
    const first = await client.unary('Ask', { type: 'counter', id: 'solo', event: jsonEvent('inc', { by: 3 }) });
    expect(first.ok && JSON.parse(String(first.response.data))).toEqual({ count: 3 });
  });

  it('takes proto_data holding a google.protobuf.Struct as the input', async () => {
    const Struct = root.lookupType('google.protobuf.Struct');
    const value = Struct.encode(
      Struct.fromObject({ fields: { symbol: { stringValue: 'ACME' }, qty: { numberValue: 4 } } }),
    ).finish();
    const event = {
      ...jsonEvent('Quote', null),
      binaryData: undefined,
      // proto-loader takes google.protobuf.Any from protobufjs's bundled descriptors: `type_url` keeps its case.
      protoData: { type_url: 'type.googleapis.com/google.protobuf.Struct', value },
    };
    const answer = await client.unary('ExecuteFunction', { name: 'quote', event });
    expect(answer.ok && JSON.parse(String(answer.response.data))).toEqual({ symbol: 'ACME', total: 40 });
  });

  it('streams what Emit stores to a Subscribe of its type', async () => {
    const stream = await client.subscribe({ types: ['Audit'], accept: 'application/json' });
    const received = new Promise<Record<string, unknown>>((resolve) => stream.once('data', resolve));
    stream.on('error', () => {});
    const emitted = await client.unary<{ id: string }>('Emit', { event: jsonEvent('Audit', { who: 'ops' }) });
    expect(emitted.ok).toBe(true);
    const event = await received;
    stream.cancel();
    expect(emitted.ok && event.id).toBe(emitted.ok ? emitted.response.id : '');
    expect(event).toMatchObject({ type: 'Audit', source: 'lucent://lucent/solo' });
    expect(JSON.parse(String(event.binaryData))).toEqual({ who: 'ops' });
    // The cancel reaches the server asynchronously; then its subscriptions are gone.
    const deadline = Date.now() + 10_000;
    while ((node.grpc?.service?.subscriberCount ?? 0) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(node.grpc?.service?.subscriberCount).toBe(0);
  });

  it('refuses a Subscribe without types, with a bad type or an unknown accept: INVALID_ARGUMENT', async () => {
    for (const request of [{ types: [] }, { types: ['no spaces'] }, { types: ['Audit'], accept: 'text/csv' }]) {
      await expect(client.subscribe(request)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    }
  });

  it('refuses an Emit without type or id, and an Ask without id, naming the field', async () => {
    const noType = await client.unary('Emit', { event: { ...jsonEvent('', 1), type: '' } });
    expect(noType).toMatchObject({
      ok: false,
      code: grpc.status.INVALID_ARGUMENT,
      lucentCode: 'LUCENT_INVALID_CLOUD_EVENT',
    });
    if (!noType.ok) expect(noType.details).toContain('event.type');
    const noId = await client.unary('Emit', { event: { ...jsonEvent('Audit', 1), id: '' } });
    expect(!noId.ok && noId.details).toContain('event.id');
    const noActorId = await client.unary('Ask', { type: 'counter', event: jsonEvent('inc', {}) });
    expect(!noActorId.ok && noActorId.details).toContain('id');
  });

  it('fails the start of a node whose gRPC port is taken with ConfigError (field grpcPort)', async () => {
    const taken = node.grpc?.port ?? 0;
    const start = ShardNode.start({ config: config('second', taken), processMetrics: false, logDestination: silent });
    const error = await start.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(ConfigError.is(error)).toBe(true);
    expect((error as ConfigError).details.field).toBe('grpcPort');
  });
});
