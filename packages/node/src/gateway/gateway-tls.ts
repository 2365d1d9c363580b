/**
 * The gateway listeners' TLS material, read once at start from the `--gateway-tls-*` files. Both gRPC and the
 * CloudEvents HTTP listener take it: `cert` + `key` turn TLS on; `clientCa` additionally requires clients to
 * present a certificate signed by it (mTLS).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@lucent/core/internal';

export interface GatewayTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set for mTLS: clients must present a certificate this CA signed. */
  readonly clientCa?: Buffer;
}

/** The file options that configure {@link GatewayTls}; `''` = not set. */
export interface GatewayTlsFiles {
  readonly gatewayTlsCert: string;
  readonly gatewayTlsKey: string;
  readonly gatewayTlsClientCa: string;
}

/**
 * The TLS material, or `undefined` for plaintext. Throws `ConfigError` when only one of cert and key is set, when
 * a client CA is set without them, or when a file cannot be read.
 */
export function readGatewayTls(files: GatewayTlsFiles): GatewayTls | undefined {
  const { gatewayTlsCert: cert, gatewayTlsKey: key, gatewayTlsClientCa: clientCa } = files;
  if (cert === '' && key === '') {
    if (clientCa !== '') throw tlsError('gatewayTlsClientCa', 'needs --gateway-tls-cert and --gateway-tls-key');
    return undefined;
  }
  if (cert === '') throw tlsError('gatewayTlsCert', 'is required with --gateway-tls-key');
  if (key === '') throw tlsError('gatewayTlsKey', 'is required with --gateway-tls-cert');
  return {
    cert: readPem('gatewayTlsCert', cert),
    key: readPem('gatewayTlsKey', key),
    ...(clientCa === '' ? {} : { clientCa: readPem('gatewayTlsClientCa', clientCa) }),
  };
}

function readPem(field: keyof GatewayTlsFiles, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw tlsError(field, `cannot read ${file}`, error);
  }
}

function tlsError(field: keyof GatewayTlsFiles, reason: string, cause?: unknown): ConfigError {
  const flag = `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return new ConfigError(
    { subject: `lucent-node option ${flag}`, field, reason },
    cause === undefined ? {} : { cause },
  );
}
