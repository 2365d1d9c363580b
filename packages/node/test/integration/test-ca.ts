/**
 * A throw-away certificate authority for TLS tests, made with the `openssl` CLI in a temp dir: a CA, a server
 * certificate for 127.0.0.1 / localhost, and a client certificate (for mTLS), all signed by the CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  readonly dir: string;
  /** File paths (for `--gateway-tls-*`). */
  readonly caCertFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** PEM contents (for a client's credentials). */
  readonly caCert: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** Creates the CA and both certificates (EC P-256, valid one day). */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'lucent-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=lucent test CA',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=lucent test ${name}`]);
    openssl(dir, [
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'],
      ...['-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`],
    ]);
  }
  const read = (name: string) => readFileSync(join(dir, name));
  return {
    dir,
    caCertFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
    caCert: read('ca.pem'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
