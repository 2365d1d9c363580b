import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lucent/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { type GatewayTlsFiles, readGatewayTls } from '../src/gateway/gateway-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'lucent-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const none: GatewayTlsFiles = { gatewayTlsCert: '', gatewayTlsKey: '', gatewayTlsClientCa: '' };
const cert = file('cert.pem', 'CERT');
const key = file('key.pem', 'KEY');
const ca = file('ca.pem', 'CA');

/** The `field` of the ConfigError `read` throws. */
function refusedField(files: GatewayTlsFiles): string | undefined {
  try {
    readGatewayTls(files);
  } catch (error) {
    expect(ConfigError.is(error)).toBe(true);
    return (error as ConfigError).details.field;
  }
  return undefined;
}

describe('readGatewayTls', () => {
  it('is plaintext (undefined) without files', () => {
    expect(readGatewayTls(none)).toBeUndefined();
  });

  it('reads cert and key for TLS, and the client CA for mTLS', () => {
    const tls = readGatewayTls({ ...none, gatewayTlsCert: cert, gatewayTlsKey: key });
    expect(tls?.cert.toString()).toBe('CERT');
    expect(tls?.key.toString()).toBe('KEY');
    expect(tls?.clientCa).toBeUndefined();
    const mtls = readGatewayTls({ gatewayTlsCert: cert, gatewayTlsKey: key, gatewayTlsClientCa: ca });
    expect(mtls?.clientCa?.toString()).toBe('CA');
  });

  it('refuses half a configuration, naming the missing option', () => {
    expect(refusedField({ ...none, gatewayTlsCert: cert })).toBe('gatewayTlsKey');
    expect(refusedField({ ...none, gatewayTlsKey: key })).toBe('gatewayTlsCert');
    expect(refusedField({ ...none, gatewayTlsClientCa: ca })).toBe('gatewayTlsClientCa');
  });

  it('refuses a file it cannot read, naming its option', () => {
    const missing = join(dir, 'missing.pem');
    expect(refusedField({ ...none, gatewayTlsCert: missing, gatewayTlsKey: key })).toBe('gatewayTlsCert');
    expect(refusedField({ ...none, gatewayTlsCert: cert, gatewayTlsKey: missing })).toBe('gatewayTlsKey');
    expect(refusedField({ gatewayTlsCert: cert, gatewayTlsKey: key, gatewayTlsClientCa: missing })).toBe(
      'gatewayTlsClientCa',
    );
  });
});
