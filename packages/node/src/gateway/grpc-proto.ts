/**
 * The gateway's `.proto` files, shipped in the package (`proto/`), and how they are loaded. The server loads
 * exactly what a client in another language generates from, so the two cannot drift.
 *
 * ```
 *  proto/lucent/v1/function_service.proto   service lucent.v1.FunctionService
 *  proto/io/cloudevents/v1/cloudevents.proto  the CloudEvents project's protobuf format (imported)
 * ```
 */
import { fileURLToPath } from 'node:url';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/** The `proto/` folder of this package (two levels up from `src/gateway/` and from `dist/gateway/`). */
export const PROTO_DIR: string = fileURLToPath(new URL('../../proto/', import.meta.url));

/** The service's file, relative to {@link PROTO_DIR}. */
export const FUNCTION_SERVICE_PROTO = 'lucent/v1/function_service.proto';

/** Fully qualified name of the service (health status and reflection use it). */
export const FUNCTION_SERVICE_NAME = 'lucent.v1.FunctionService';

/**
 * How the server reads messages: field names as in the `.proto` (`spec_version`, `binary_data`), 64-bit
 * integers as strings, and the set member of each `oneof` named in a virtual field (`data: 'binary_data'`).
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Loads the service definition (and the CloudEvents format it imports). Throws when a file is missing. */
export function loadFunctionServiceProto(): PackageDefinition {
  return loadSync(FUNCTION_SERVICE_PROTO, PROTO_LOADER_OPTIONS);
}
