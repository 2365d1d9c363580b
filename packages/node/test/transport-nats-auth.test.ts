import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lucent/core/internal';
import { nkeys } from 'nats';
import { describe, expect, it } from 'vitest';
import {
  describeNatsAuth,
  isNatsAuthRefusal,
  natsAuthFromEnv,
  natsConnectionAuth,
} from '../src/transport/nats-auth.js';

const dir = mkdtempSync(join(tmpdir(), 'lucent-nats-auth-unit-'));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (ConfigError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('natsConnectionAuth', () => {
  it('maps token and user/password to the nats.js options', () => {
    expect(natsConnectionAuth({ token: 't' })).toEqual({ token: 't' });
    expect(natsConnectionAuth({ user: 'u', password: 'p' })).toEqual({ user: 'u', pass: 'p' });
    expect(natsConnectionAuth({})).toEqual({});
    expect(natsConnectionAuth({ token: '', user: '' })).toEqual({});
  });

  it('reads an NKey seed or a .creds file into an authenticator', () => {
    const user = nkeys.createUser();
    const seed = file('seed.nk', `${new TextDecoder().decode(user.getSeed())}\n`);
    const authenticator = natsConnectionAuth({ nkeySeedFile: seed }).authenticator as (nonce?: string) => unknown;
    // The authenticator answers the server's nonce with the user's public key and a signature.
    expect(authenticator('nonce')).toMatchObject({ nkey: user.getPublicKey() });
  });

  it('reads TLS files into PEM strings', () => {
    const ca = file('ca.pem', 'CA PEM');
    const cert = file('cert.pem', 'CERT PEM');
    const key = file('key.pem', 'KEY PEM');
    expect(natsConnectionAuth({ tlsCaFile: ca }).tls).toEqual({ ca: 'CA PEM' });
    expect(natsConnectionAuth({ tlsCaFile: ca, tlsCertFile: cert, tlsKeyFile: key }).tls).toEqual({
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
    });
  });

  it('refuses two kinds of credentials, half pairs and unreadable files, without echoing secrets', () => {
    const two = configError(() => natsConnectionAuth({ token: 'secret-1', nkeySeedFile: '/x' }));
    expect(two.message).toMatch(/set one kind of NATS credentials, got token and nkey/);
    expect(two.message).not.toContain('secret-1');
    expect(configError(() => natsConnectionAuth({ user: 'u' })).message).toMatch(/needs a password/);
    expect(configError(() => natsConnectionAuth({ tlsCertFile: '/c' })).message).toMatch(/needs its key file/);
    expect(configError(() => natsConnectionAuth({ credsFile: join(dir, 'missing') })).message).toMatch(
      /cannot read the NATS .creds file/,
    );
  });
});

describe('describeNatsAuth', () => {
  it('names the mode, never the secret', () => {
    expect(describeNatsAuth({})).toBe('none');
    expect(describeNatsAuth({ token: 'abc' })).toBe('token');
    expect(describeNatsAuth({ user: 'u', password: 'p', tlsCaFile: '/ca' })).toBe('user/password + tls');
    expect(describeNatsAuth({ credsFile: '/c', tlsCertFile: '/c', tlsKeyFile: '/k' })).toBe('creds + mtls');
  });
});

describe('natsAuthFromEnv', () => {
  it('reads the LUCENT_NATS_* variables, skipping empty ones', () => {
    expect(natsAuthFromEnv({ LUCENT_NATS_TOKEN: 't', LUCENT_NATS_USER: '', OTHER: 'x' })).toEqual({ token: 't' });
    expect(natsAuthFromEnv({ LUCENT_NATS_CREDS: '/a.creds', LUCENT_NATS_TLS_CA: '/ca.pem' })).toEqual({
      credsFile: '/a.creds',
      tlsCaFile: '/ca.pem',
    });
  });
});

describe('isNatsAuthRefusal', () => {
  it('is true for the server’s authorization errors only', () => {
    expect(isNatsAuthRefusal({ code: 'AUTHORIZATION_VIOLATION' })).toBe(true);
    expect(isNatsAuthRefusal({ code: 'AUTHENTICATION_EXPIRED' })).toBe(true);
    expect(isNatsAuthRefusal({ code: 'CONNECTION_REFUSED' })).toBe(false);
    expect(isNatsAuthRefusal(undefined)).toBe(false);
  });
});
