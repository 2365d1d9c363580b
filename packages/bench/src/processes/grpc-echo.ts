/**
 * The raw grpc-js baseline of the `node/grpc` bench, run as its own process: a bare grpc-js server of the shipped
 * `lucent.v1.FunctionService` whose `ExecuteFunction` answers `x + 1` for JSON `x` right in its handler (no
 * CloudEvent checks, no cluster, no pool), with the gateway's server options. `node grpc-echo.js`; prints `port <n>` once listening; runs until killed.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { FUNCTION_SERVICE_NAME, FUNCTION_SERVICE_PROTO, GRPC_SERVER_OPTIONS, PROTO_DIR } from '@lucent/node/internal';

const definition = loadSync(FUNCTION_SERVICE_PROTO, { includeDirs: [PROTO_DIR], keepCase: true, oneofs: true });
// The gateway's own server options (channelz off), so the baseline differs from it only by what Lucent adds.
const server = new grpc.Server(GRPC_SERVER_OPTIONS);
server.addService(definition[FUNCTION_SERVICE_NAME] as grpc.ServiceDefinition, {
  ExecuteFunction: (
    call: grpc.ServerUnaryCall<{ event?: { binary_data?: Buffer } }, object>,
    done: grpc.sendUnaryData<object>,
  ) => {
    const x = Number(call.request.event?.binary_data?.toString('utf8'));
    done(null, { data: Buffer.from(String(x + 1)), datacontenttype: 'application/json' });
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) {
    process.stderr.write(`grpc-echo: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`port ${port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
