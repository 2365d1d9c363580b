/** The NATS credentials part of a node's configuration, in the transport's terms. */
import type { NatsAuth } from '../transport/nats-auth.js';
import type { NodeConfig } from './node-config.js';

export function natsAuthOf(config: NodeConfig): NatsAuth {
  return {
    token: config.natsToken,
    user: config.natsUser,
    password: config.natsPassword,
    nkeySeedFile: config.natsNkeySeed,
    credsFile: config.natsCreds,
    tlsCaFile: config.natsTlsCa,
    tlsCertFile: config.natsTlsCert,
    tlsKeyFile: config.natsTlsKey,
  };
}
