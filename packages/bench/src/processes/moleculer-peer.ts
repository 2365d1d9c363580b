/**
 * The Moleculer side of the `node/peers` bench, run as its own process: a `ServiceBroker` on the NATS
 * transporter serving `peers.addOne` (`{ x } → x + 1`, the same function Lucent serves), with the serializer
 * named on the command line: `node moleculer-peer.js <nats-url> <JSON|MsgPack>`. Prints `ready` once the broker
 * has started; runs until killed.
 */
import { ServiceBroker } from 'moleculer';

const [url, serializer] = process.argv.slice(2);
if (url === undefined || (serializer !== 'JSON' && serializer !== 'MsgPack')) {
  console.error('usage: moleculer-peer <nats-url> <JSON|MsgPack>');
  process.exit(2);
}

const broker = new ServiceBroker({
  nodeID: `bench-peer-${serializer}`,
  namespace: `bench-${serializer}`,
  transporter: url,
  serializer,
  logger: false,
});
broker.createService({
  name: 'peers',
  actions: {
    addOne(ctx) {
      return (ctx.params as { x: number }).x + 1;
    },
  },
});
await broker.start();

process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void broker.stop().finally(() => process.exit(0));
});
