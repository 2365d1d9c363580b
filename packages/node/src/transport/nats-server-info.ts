/** What `lucent status` says of the NATS side: the server a connection uses and its JetStream account usage. */
import type { NatsConnection } from 'nats';

export interface NatsServerInfo {
  /** `name (host:port)` of the server this connection uses. */
  readonly server: string;
  readonly version: string;
  /** `undefined` when JetStream is not enabled (or not reachable with these permissions). */
  readonly jetstream?: {
    readonly streams: number;
    readonly consumers: number;
    readonly storageBytes: number;
    readonly memoryBytes: number;
  };
}

export async function natsServerInfo(nc: NatsConnection, timeoutMs: number): Promise<NatsServerInfo> {
  const info = nc.info;
  const server = `${info?.server_name ?? '?'} (${nc.getServer()})`;
  const version = info?.version ?? '?';
  try {
    const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
    const account = await jsm.getAccountInfo();
    return {
      server,
      version,
      jetstream: {
        streams: account.streams,
        consumers: account.consumers,
        storageBytes: account.storage,
        memoryBytes: account.memory,
      },
    };
  } catch {
    return { server, version };
  }
}
