/**
 * The `lucent` CLI's NATS credential options: the same flags and `LUCENT_NATS_*` variables as `lucent-node`, so a
 * shell that runs a node can run the CLI. No defaults are shown: they are secrets or file paths.
 */
import { type Command, Option } from 'commander';
import { NATS_AUTH_ENV, type NatsAuth } from '../transport/nats-auth.js';

const FLAGS: Readonly<Record<keyof NatsAuth, readonly [flag: string, description: string]>> = {
  token: ['--nats-token <token>', 'NATS token auth (prefer the env var: flags show in ps)'],
  user: ['--nats-user <user>', 'NATS user'],
  password: ['--nats-password <password>', 'password of --nats-user (prefer the env var)'],
  nkeySeedFile: ['--nats-nkey-seed <file>', 'file with a NATS NKey user seed'],
  credsFile: ['--nats-creds <file>', 'NATS .creds file (user JWT and seed)'],
  tlsCaFile: ['--nats-tls-ca <file>', 'PEM CA of the NATS server certificate (requires TLS)'],
  tlsCertFile: ['--nats-tls-cert <file>', 'PEM client certificate for NATS servers that verify clients'],
  tlsKeyFile: ['--nats-tls-key <file>', 'PEM key of --nats-tls-cert'],
};

/** Adds the credential options to `program` (global options, read with `optsWithGlobals`). */
export function addNatsAuthOptions(program: Command): Command {
  for (const [key, [flag, description]] of Object.entries(FLAGS)) {
    program.addOption(new Option(flag, description).env(NATS_AUTH_ENV[key as keyof NatsAuth]));
  }
  return program;
}

/** The credentials among parsed options (commander's camelCase of each flag). */
export function natsAuthFromOptions(options: Readonly<Record<string, unknown>>): NatsAuth {
  const text = (name: string): string | undefined => {
    const value = options[name];
    return typeof value === 'string' ? value : undefined;
  };
  const auth: Record<string, string | undefined> = {
    token: text('natsToken'),
    user: text('natsUser'),
    password: text('natsPassword'),
    nkeySeedFile: text('natsNkeySeed'),
    credsFile: text('natsCreds'),
    tlsCaFile: text('natsTlsCa'),
    tlsCertFile: text('natsTlsCert'),
    tlsKeyFile: text('natsTlsKey'),
  };
  return Object.fromEntries(Object.entries(auth).filter(([, value]) => value !== undefined)) as NatsAuth;
}
