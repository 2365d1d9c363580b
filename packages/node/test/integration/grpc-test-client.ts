/**
 * A gRPC client of the gateway as another language would have it: generated (here: loaded with proto-loader)
 * from the `.proto` files the package ships, with proto-loader's default field casing (`specVersion`,
 * `binaryData`) rather than the server's, plus the standard health and reflection clients.
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** The package's shipped `proto/` folder. */
export const SHIPPED_PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

const require = createRequire(import.meta.url);
const REFLECTION_PROTO = join(
  dirname(require.resolve('@grpc/reflection')),
  '../proto/grpc/reflection/v1alpha/reflection.proto',
);

/** The part of a reflection answer `listServices` reads. */
interface ReflectionResponse {
  readonly listServicesResponse?: { readonly service: readonly { readonly name: string }[] };
}

/** A dynamically loaded client's methods by name. */
type Methods = Record<string, (...args: unknown[]) => unknown>;

type Constructor = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ChannelOptions,
) => grpc.Client;

function load(file: string, includeDirs: string[]): grpc.GrpcObject {
  return grpc.loadPackageDefinition(loadSync(file, { includeDirs, oneofs: true, longs: String, enums: String }));
}

function at(root: grpc.GrpcObject, path: string): Constructor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as Constructor;
}

const lucent = load('lucent/v1/function_service.proto', [SHIPPED_PROTO_DIR]);
const health = load(healthProtoPath, []);
const reflection = load(REFLECTION_PROTO, []);

/** A CloudEvent as the client builds it (proto-loader's camelCase field names). */
export interface ClientCloudEvent {
  id?: string;
  source?: string;
  specVersion?: string;
  type?: string;
  attributes?: Record<string, { ceString?: string }>;
  binaryData?: Buffer | undefined;
  textData?: string;
  protoData?: { type_url: string; value: Uint8Array };
}

/** A JSON CloudEvent of `type` carrying `data`, with extra string attributes. */
export function jsonEvent(type: string, data: unknown, attributes: Record<string, string> = {}): ClientCloudEvent {
  return {
    id: `${type}-${Math.random().toString(36).slice(2)}`,
    source: '/tests/gateway',
    specVersion: '1.0',
    type,
    attributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { ceString: value }])),
    binaryData: Buffer.from(JSON.stringify(data)),
  };
}

/** The outcome of a unary call: the response, or the status with the `lucent-code` trailer. */
export type Unary<R> =
  | { readonly ok: true; readonly response: R; readonly lucentCode: string | undefined }
  | {
      readonly ok: false;
      readonly code: grpc.status;
      readonly details: string;
      readonly lucentCode: string | undefined;
    };

export interface CallOptions {
  readonly token?: string;
  /** Deadline from now. */
  readonly deadlineMs?: number;
}

/** The FunctionService client plus health and reflection, on one address and credentials. */
export class GatewayClient {
  readonly service: grpc.Client;
  readonly health: grpc.Client;
  readonly reflection: grpc.Client;

  constructor(
    address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ChannelOptions = {},
  ) {
    this.service = new (at(lucent, 'lucent.v1.FunctionService'))(address, credentials, options);
    this.health = new (at(health, 'grpc.health.v1.Health'))(address, credentials, options);
    this.reflection = new (at(reflection, 'grpc.reflection.v1alpha.ServerReflection'))(address, credentials, options);
  }

  /** Calls unary method `method` of FunctionService; never rejects. */
  unary<R = Record<string, unknown>>(method: string, request: object, options: CallOptions = {}): Promise<Unary<R>> {
    const metadata = new grpc.Metadata();
    if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
    const callOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
    return new Promise((resolve) => {
      // The callback runs before the 'status' event that carries the trailers: answer once both are in.
      let answer: { error: grpc.ServiceError | null; response: R } | undefined;
      const call = (this.service as unknown as Methods)[method]!.call(
        this.service,
        request,
        metadata,
        callOptions,
        (error: grpc.ServiceError | null, response: R) => {
          answer = { error, response };
        },
      ) as grpc.ClientUnaryCall;
      call.on('status', (status: grpc.StatusObject) => {
        const code = status.metadata.get('lucent-code')[0];
        const lucentCode = typeof code === 'string' ? code : undefined;
        if (answer === undefined || answer.error !== null) {
          resolve({ ok: false, code: status.code, details: status.details, lucentCode });
        } else resolve({ ok: true, response: answer.response, lucentCode });
      });
    });
  }

  /** Opens a Subscribe stream; resolves once the server sent its headers (the subscription is live). */
  subscribe(request: object, options: CallOptions = {}): Promise<grpc.ClientReadableStream<Record<string, unknown>>> {
    const metadata = new grpc.Metadata();
    if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
    const stream = (this.service as unknown as Methods).Subscribe!.call(
      this.service,
      request,
      metadata,
    ) as grpc.ClientReadableStream<Record<string, unknown>>;
    return new Promise((resolve, reject) => {
      stream.once('metadata', () => resolve(stream));
      stream.once('error', reject);
    });
  }

  /** `grpc.health.v1.Health/Check` of `service` (`''` = the server): the status name, or the error's code. */
  check(service = ''): Promise<string> {
    return new Promise((resolve) => {
      (this.health as unknown as Methods).Check!.call(
        this.health,
        { service },
        { deadline: Date.now() + 5_000 },
        (error: grpc.ServiceError | null, response: { status: string }) =>
          resolve(error === null ? response.status : `error ${grpc.status[error.code]}`),
      );
    });
  }

  /** Opens `grpc.health.v1.Health/Watch` of the server; the stream sends each status change. */
  watch(): grpc.ClientReadableStream<{ status: string }> {
    return (this.health as unknown as Methods).Watch!.call(this.health, { service: '' }) as grpc.ClientReadableStream<{
      status: string;
    }>;
  }

  /** The services the server lists through reflection (v1alpha, what grpcurl asks first). */
  listServices(options: CallOptions = {}): Promise<string[]> {
    const metadata = new grpc.Metadata();
    if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
    return new Promise((resolve, reject) => {
      const stream = (this.reflection as unknown as Methods).ServerReflectionInfo!.call(
        this.reflection,
        metadata,
      ) as grpc.ClientDuplexStream<object, ReflectionResponse>;
      stream.once('data', (response: ReflectionResponse) => {
        resolve((response.listServicesResponse?.service ?? []).map((service) => service.name));
        stream.end();
      });
      stream.once('error', reject);
      stream.write({ listServices: '' });
    });
  }

  close(): void {
    this.service.close();
    this.health.close();
    this.reflection.close();
  }
}
