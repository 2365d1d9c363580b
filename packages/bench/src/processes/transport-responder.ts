/**
 * Echo responder for the `node/transport` bench, run as its own process so the client and the responder do
 * not share an event loop: `node transport-responder.js <nats-url> <raw-subject> <lucent-subject>`.
 * Answers raw `nc.request()`s on the raw subject and Lucent transport requests on the other, echoing the bytes.
 * Prints `ready` once both subscriptions reached the server; runs until killed.
 */
import { NatsTransport } from '@lucent/node/internal';
import { connect } from 'nats';

const [url, rawSubject, lucentSubject] = process.argv.slice(2);
if (url === undefined || rawSubject === undefined || lucentSubject === undefined) {
  console.error('usage: transport-responder <nats-url> <raw-subject> <lucent-subject>');
  process.exit(2);
}

const nc = await connect({ servers: url, noAsyncTraces: true });
nc.subscribe(rawSubject, { callback: (_error, msg) => msg.respond(msg.data) });
await nc.flush();

const transport = await NatsTransport.connect({ servers: url, name: 'bench-responder' });
transport.subscribe(lucentSubject, (frame, replier) => replier?.reply(frame));
await transport.flush();

process.stdout.write('ready\n');
process.once('SIGTERM', () => process.exit(0));
