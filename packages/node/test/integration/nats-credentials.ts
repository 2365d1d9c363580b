/**
 * Credentials and TLS material for secured-NATS tests, made in the test: a token, a user/password pair, an NKey
 * user, an operator/account/user JWT chain (`.creds`) and a CA with server and client certificates (openssl CLI).
 * Each comes with the nats-server configuration that accepts it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
} from '@nats-io/jwt';

export const dir = mkdtempSync(join(tmpdir(), 'lucent-nats-auth-'));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** An NKey user: its seed in a file, and the server block that accepts its public key. */
export function nkeyUser(): { seedFile: string; serverConfig: string } {
  const user = createUser();
  const seedFile = file('user.nk', new TextDecoder().decode(user.getSeed()));
  return { seedFile, serverConfig: `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }` };
}

/**
 * An operator → account (JetStream enabled) → user chain: the user's `.creds` file, and the server config that
 * trusts the operator and preloads the account (memory resolver).
 */
export async function jwtUser(): Promise<{ credsFile: string; serverConfig: string }> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const user = createUser();
  // JetStream needs the server's system account to exist.
  const operatorJwt = await encodeOperator('lucent-test', operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount('SYS', system, {}, { signer: operator });
  const accountJwt = await encodeAccount(
    'lucent',
    account,
    // Partial limits default the rest to 0 (no connections): spell every one out.
    {
      limits: {
        conn: -1,
        subs: -1,
        data: -1,
        payload: -1,
        imports: -1,
        exports: -1,
        leaf: -1,
        wildcards: true,
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
      },
    } as never,
    { signer: operator },
  );
  const userJwt = await encodeUser('node', user, account);
  const credsFile = file('user.creds', fmtCreds(userJwt, user));
  const operatorFile = file('operator.jwt', operatorJwt);
  const serverConfig = [
    `operator: ${JSON.stringify(operatorFile)}`,
    `system_account: ${system.getPublicKey()}`,
    'resolver: MEMORY',
    `resolver_preload: { ${account.getPublicKey()}: ${JSON.stringify(accountJwt)}, ${system.getPublicKey()}: ${JSON.stringify(systemJwt)} }`,
  ].join('\n');
  return { credsFile, serverConfig };
}

export interface TestPki {
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

/** A test CA and a server (127.0.0.1, localhost) and a client certificate it signed, made with the openssl CLI. */
export function testPki(): TestPki {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=lucent-test-ca',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
  );
  const leaf = (name: string, cn: string, extensions: string): void => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
    );
    const ext = file(`${name}.ext`, extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      path(`${name}.pem`),
    );
  };
  leaf('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'lucent-client', 'extendedKeyUsage=clientAuth\n');
  return {
    caFile: path('ca.pem'),
    serverCertFile: path('server.pem'),
    serverKeyFile: path('server.key'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client.key'),
  };
}

/** The server's `tls { … }` block; `verify` makes it require client certificates (mTLS). */
export function tlsServerConfig(pki: TestPki, verify: boolean): string {
  return [
    'tls {',
    `  cert_file: ${JSON.stringify(pki.serverCertFile)}`,
    `  key_file: ${JSON.stringify(pki.serverKeyFile)}`,
    `  ca_file: ${JSON.stringify(pki.caFile)}`,
    `  verify: ${verify}`,
    '}',
  ].join('\n');
}
