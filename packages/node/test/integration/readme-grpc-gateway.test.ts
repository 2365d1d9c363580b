// The "gRPC gateway" examples of the README, run against a real lucent-node started with the flags the README
// shows: the Node.js snippet as written (keep the two in sync; only the proto folder and the address differ),
// and the grpcurl request body taken from the README itself and sent as grpcurl would send it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../../src/testing/nats-server.js';
import { type NodeProcess, NodeProcesses } from '../../src/testing/node-process.js';
import { fixture } from './cli-fixtures.js';

const README = readFileSync(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8');
const PROTO = fileURLToPath(new URL('../../proto', import.meta.url));
const processes = new NodeProcesses();
let server: NatsServerHandle;
let node: NodeProcess;
let address = '';

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  // The README's start line, with an ephemeral port and the fixture module that defines addOne.
  node = processes.start({
    args: [...['--shard', 'n1', '--nats', server.url, '--functions', fixture('math.mjs'), '--grpc-port', '0']],
    env: { LUCENT_GATEWAY_TOKENS: 's3cret', LUCENT_HTTP_PORT: '0', LUCENT_THREADS: '1' },
  });
  address = `127.0.0.1:${(await node.waitForLog('gateway.grpc_listening', 30_000)).port}`;
  await node.waitForLog('node.ready', 30_000);
}, 60_000);

afterAll(async () => {
  await processes.killAll();
  await server?.stop();
});

/** The reply of ExecuteFunction as proto-loader decodes it. */
interface Reply {
  readonly data: Buffer;
  readonly datacontenttype: string;
}
type Callback = (error: grpc.ServiceError | null, reply: Reply) => void;
/** What the README's `as any` stands for: the loaded package with its one service. */
interface Loaded {
  readonly lucent: {
    readonly v1: {
      readonly FunctionService: new (
        address: string,
        credentials: grpc.ChannelCredentials,
      ) => grpc.Client & {
        ExecuteFunction(request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback): void;
      };
    };
  };
}

/** Calls ExecuteFunction with `request` the way the README's snippet does; resolves with (error, reply). */
function execute(request: object): Promise<{ error: grpc.ServiceError | null; reply: Reply }> {
  const proto = loadSync('lucent/v1/function_service.proto', { includeDirs: [PROTO], oneofs: true });
  const { lucent } = grpc.loadPackageDefinition(proto) as unknown as Loaded;
  const client = new lucent.v1.FunctionService(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', 'Bearer s3cret');
  return new Promise((resolve) =>
    client.ExecuteFunction(request, metadata, { deadline: Date.now() + 5_000 }, (error, reply) => {
      client.close();
      resolve({ error, reply });
    }),
  );
}

describe('README: gRPC gateway', () => {
  it('runs the Node.js example as documented', async () => {
    let answered: { error: grpc.ServiceError | null; reply: Reply } | undefined;
    // --- README start ---
    const proto = loadSync('lucent/v1/function_service.proto', {
      includeDirs: [PROTO],
      oneofs: true,
    });
    const { lucent } = grpc.loadPackageDefinition(proto) as unknown as Loaded; // the README: `as any`
    const client = new lucent.v1.FunctionService(address, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer s3cret');
    const event = { id: 'q-1', source: '/shop', specVersion: '1.0', type: 'call', textData: '41' };
    client.ExecuteFunction({ name: 'addOne', event }, metadata, { deadline: Date.now() + 5_000 }, (error, reply) => {
      answered = { error, reply };
    });
    // --- README end ---
    const deadline = Date.now() + 10_000;
    while (answered === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    client.close();
    expect(answered?.error).toBeNull();
    expect(answered?.reply.data.toString()).toBe('42');
    expect(answered?.reply.datacontenttype).toBe('application/json');
    expect(README).toContain("includeDirs: ['node_modules/@lucent/node/proto'],");
    expect(README).toContain(
      "const event = { id: 'q-1', source: '/shop', specVersion: '1.0', type: 'call', textData: '41' };",
    );
  });

  it('answers the grpcurl request of the README as the README says', async () => {
    const body = /-d '(\{"name":"addOne".*\})'/.exec(README)?.[1];
    expect(body).toBeDefined();
    const { error, reply } = await execute(JSON.parse(body as string));
    expect(error).toBeNull();
    // grpcurl prints bytes as base64: the README shows {"data":"NDI=","datacontenttype":"application/json"}.
    expect(README).toContain('{"data":"NDI=","datacontenttype":"application/json"}');
    expect(Buffer.from(reply.data).toString('base64')).toBe('NDI=');
    expect(reply.datacontenttype).toBe('application/json');
  });
});
