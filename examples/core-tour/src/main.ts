/**
 * A tour of @lucent/core in one process, with no network: define functions, build a registry, place keys on a
 * ring of three shards, send envelopes through the codec, and see a typed error survive the wire. `pnpm
 * demo:core` runs it. The envelope and the codec are the wire's internals (`@lucent/core/internal`): an
 * application never touches them, the tour shows what crosses the wire.
 */
import {
  createClusterView,
  createFunctionContext,
  createRegistry,
  DecodeError,
  defineFunction,
  errorFromWire,
  type LoadReport,
  placeFunction,
  TimeoutError,
} from '@lucent/core';
import { callEnvelope, EnvelopeCodec, errorEnvelope, replyEnvelope } from '@lucent/core/internal';

interface Order {
  readonly orderId: string;
  readonly symbol: string;
  readonly qty: number;
  readonly price: number;
}

// A pure, CPU-bound function, keyed by symbol so one symbol's orders always meet on one shard.
const priceOrder = defineFunction(
  { name: 'priceOrder', shardBy: 'symbol', resources: { cpu: 'high', memory: '64MB', timeoutMs: 200 } },
  (_ctx, order: Order) => Math.round(order.qty * order.price * 100) / 100,
);
const registry = createRegistry([priceOrder]);

const idle: LoadReport = { cpu: 0.2, memory: 0.3, activeFunctions: 1, maxFunctions: 8, queueDepth: 0, maxQueue: 100 };
const busy: LoadReport = { cpu: 0.95, memory: 0.9, activeFunctions: 8, maxFunctions: 8, queueDepth: 95, maxQueue: 100 };
const view = createClusterView([
  { id: 'shard-a', tags: ['eu'], load: idle },
  { id: 'shard-b', tags: ['us'], load: idle },
  { id: 'shard-c', tags: ['eu'], load: busy },
]);
const codec = new EnvelopeCodec();

const orders: Order[] = ['AAPL', 'MSFT', 'NVDA', 'AAPL', 'TSLA', 'MSFT'].map((symbol, i) => ({
  orderId: `o-${i}`,
  symbol,
  qty: 10 + i,
  price: 100 + i * 1.5,
}));

console.log('Lucent core tour: 3 shards, one ring, the envelope codec\n');
console.log(`registry: ${registry.describe().map((d) => `${d.id} (shardBy ${d.shardBy}, cpu ${d.resources.cpu})`)}`);
for (const order of orders) {
  const def = registry.get('priceOrder');
  const placement = placeFunction(def, order, view);
  const owner = placement.type === 'node' ? placement.node : 'any shard';
  const bytes = codec.encode(callOf(order));
  const received = codec.decode(bytes);
  const ctx = createFunctionContext(def.name, { deadline: received.deadline });
  const result = def.handler(ctx, received.payload as Order);
  const reply = codec.decode(codec.encode(replyEnvelope(received, result, owner)));
  console.log(
    `${order.orderId} ${order.symbol.padEnd(4)} -> ${owner} (ring owner of the symbol) | ${bytes.byteLength} B on the wire | reply ${reply.payload}`,
  );
}

// A typed error crosses the wire as data and comes back as the same class, with its code and origin.
const failed = errorEnvelope(
  callOf(orders[0]!),
  new TimeoutError({ target: 'priceOrder', timeoutMs: 200 }).toWire('shard-a'),
  'shard-a',
);
const revived = errorFromWire(codec.decode(codec.encode(failed)).payload as never);
console.log(`error over the wire: ${revived.name} ${revived.code} from ${revived.origin}: ${revived.message}`);

// Malformed bytes are a DecodeError, never anything else.
try {
  codec.decode(new Uint8Array([0x40, 0xff, 0x00]));
} catch (error) {
  console.log(`garbage in: ${DecodeError.is(error) ? error.code : 'unexpected'}`);
}

function callOf(order: Order) {
  return callEnvelope('priceOrder', order, { deadline: Date.now() + 200, origin: 'client-1' });
}
