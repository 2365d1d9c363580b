/**
 * How a node, a client or the `lucent` CLI proves who it is to a secured NATS server, and how it checks the
 * server: one of four credentials (token, user + password, NKey seed file, `.creds` JWT file) plus optional TLS
 * (CA to trust the server, client certificate + key for servers that verify clients).
 *
 * The secrets are read here and handed to nats.js; they are never logged: {@link describeNatsAuth} names the mode
 * only. Files are read once, at connect, so a bad path is a `ConfigError` at start, not a reconnect loop.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@lucent/core/internal';
import { type ConnectionOptions, credsAuthenticator, nkeyAuthenticator } from 'nats';

/** NATS credentials and TLS files. Empty strings and absent fields mean "not set". */
export interface NatsAuth {
  readonly token?: string;
  readonly user?: string;
  readonly password?: string;
  /** File holding an NKey user seed (`SU…`). */
  readonly nkeySeedFile?: string;
  /** A `.creds` file (user JWT + NKey seed), as `nsc` writes it. */
  readonly credsFile?: string;
  /** PEM CA bundle that signed the server's certificate; setting it requires TLS. */
  readonly tlsCaFile?: string;
  /** PEM client certificate, for servers that verify clients (`verify: true`). Needs {@link tlsKeyFile}. */
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

/** The environment variables every Lucent process reads its NATS credentials from (flags may override them). */
export const NATS_AUTH_ENV = {
  token: 'LUCENT_NATS_TOKEN',
  user: 'LUCENT_NATS_USER',
  password: 'LUCENT_NATS_PASSWORD',
  nkeySeedFile: 'LUCENT_NATS_NKEY_SEED',
  credsFile: 'LUCENT_NATS_CREDS',
  tlsCaFile: 'LUCENT_NATS_TLS_CA',
  tlsCertFile: 'LUCENT_NATS_TLS_CERT',
  tlsKeyFile: 'LUCENT_NATS_TLS_KEY',
} as const satisfies Record<keyof NatsAuth, string>;

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** The credential modes `auth` sets (at most one is allowed). */
function modesOf(auth: NatsAuth): string[] {
  const modes: string[] = [];
  if (isSet(auth.token)) modes.push('token');
  if (isSet(auth.user) || isSet(auth.password)) modes.push('user/password');
  if (isSet(auth.nkeySeedFile)) modes.push('nkey');
  if (isSet(auth.credsFile)) modes.push('creds');
  return modes;
}

/** `'token'`, `'creds + tls'`, `'none'`: what a log line may say about the credentials. */
export function describeNatsAuth(auth: NatsAuth): string {
  const parts = modesOf(auth);
  if (isSet(auth.tlsCaFile) || isSet(auth.tlsCertFile)) parts.push(isSet(auth.tlsCertFile) ? 'mtls' : 'tls');
  return parts.length === 0 ? 'none' : parts.join(' + ');
}

/**
 * The nats.js connection options for `auth`. Throws `ConfigError` (field `nats`) when more than one credential
 * mode is set, a user comes without a password (or the reverse), a client certificate without its key, or a
 * file cannot be read.
 */
export function natsConnectionAuth(auth: NatsAuth): Partial<ConnectionOptions> {
  const modes = modesOf(auth);
  if (modes.length > 1) throw authError(`set one kind of NATS credentials, got ${modes.join(' and ')}`);
  if (isSet(auth.user) !== isSet(auth.password)) throw authError('a NATS user needs a password, and a password a user');
  if (isSet(auth.tlsCertFile) !== isSet(auth.tlsKeyFile)) {
    throw authError('a NATS TLS client certificate needs its key file, and the key its certificate');
  }
  const options: { -readonly [K in keyof ConnectionOptions]?: ConnectionOptions[K] } = {};
  if (isSet(auth.token)) options.token = auth.token;
  if (isSet(auth.user) && isSet(auth.password)) {
    options.user = auth.user;
    options.pass = auth.password;
  }
  if (isSet(auth.nkeySeedFile)) {
    const seed = readText(auth.nkeySeedFile, 'NKey seed').trim();
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (isSet(auth.credsFile)) options.authenticator = credsAuthenticator(readSecret(auth.credsFile, '.creds'));
  if (isSet(auth.tlsCaFile) || isSet(auth.tlsCertFile)) {
    options.tls = {
      ...(isSet(auth.tlsCaFile) ? { ca: readText(auth.tlsCaFile, 'TLS CA') } : {}),
      ...(isSet(auth.tlsCertFile) ? { cert: readText(auth.tlsCertFile, 'TLS certificate') } : {}),
      ...(isSet(auth.tlsKeyFile) ? { key: readText(auth.tlsKeyFile, 'TLS key') } : {}),
    };
  }
  return options;
}

/** Reads `auth` from the {@link NATS_AUTH_ENV} variables. */
export function natsAuthFromEnv(env: Readonly<Record<string, string | undefined>>): NatsAuth {
  const auth: Record<string, string> = {};
  for (const [key, name] of Object.entries(NATS_AUTH_ENV)) {
    const value = env[name];
    if (isSet(value)) auth[key] = value;
  }
  return auth;
}

/** True when `error` (from nats.js' connect) says the server refused the credentials: retrying cannot help. */
export function isNatsAuthRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'AUTHORIZATION_VIOLATION' || code === 'AUTHENTICATION_EXPIRED';
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw authError(`cannot read the NATS ${what} file ${file}`, error);
  }
}

function readSecret(file: string, what: string): Uint8Array {
  return new TextEncoder().encode(readText(file, what));
}

function authError(reason: string, cause?: unknown): ConfigError {
  return new ConfigError({ subject: 'NATS credentials', field: 'nats', reason }, cause === undefined ? {} : { cause });
}
