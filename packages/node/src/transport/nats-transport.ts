/**
 * The NATS implementation of {@link Transport}, on the `nats` v2 client (2.29.3; design.md says why). Every
 * call into nats.js in Lucent lives in this file, so a client switch is one folder.
 *
 * Requests do not use `nc.request()`: that costs a mux-inbox entry, a timer and (unless `noAsyncTraces`) an
 * `Error` per call. Instead each connection subscribes its own reply subject once, tags request frames with ids,
 * and coalesces requests and replies per destination (`framed-transport.ts`). `noAsyncTraces` is still set on
 * the connection, so any request API the client uses internally (flush) stays cheap.
 */
import { ConfigError, DEFAULT_CLUSTER, NodeUnavailableError, replySubject } from '@lucent/core/internal';
import { connect, DebugEvents, Events, type NatsConnection, type SubscriptionOptions } from 'nats';
import { newConnectionId } from './connection-id.js';
import { type ConnectionSubscription, FramedTransport, type MessageInbox } from './framed-transport.js';
import { describeNatsAuth, isNatsAuthRefusal, type NatsAuth, natsConnectionAuth } from './nats-auth.js';
import type { TransportOptions } from './transport.js';

export interface NatsTransportOptions extends TransportOptions {
  /** Server URL(s), e.g. `nats://127.0.0.1:4222`. */
  readonly servers: string | readonly string[];
  /** Connection name shown by the server and used in errors (default: the connection id). */
  readonly name?: string;
  /** Pause between reconnect attempts to one server (default 250 ms). */
  readonly reconnectTimeWaitMs?: number;
  /** Reconnect attempts per server before giving up; -1 = forever (default). */
  readonly maxReconnectAttempts?: number;
  /** Bound on the first connection attempt (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /** Credentials and TLS for a secured server (default: none). */
  readonly auth?: NatsAuth;
}

/** Status code of the server's no-responders message (sent because nats.js connects with `no_responders`). */
const NO_RESPONDERS_STATUS = 503;
/** nats.js' default `max_payload` until the server's INFO says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** A {@link Transport} over one NATS connection. Create it with {@link NatsTransport.connect}. */
export class NatsTransport extends FramedTransport {
  readonly #nc: NatsConnection;

  private constructor(nc: NatsConnection, name: string, reply: string, options: NatsTransportOptions) {
    super(name, reply, options, nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD);
    this.#nc = nc;
    this.start();
    void this.#watchStatus();
    void nc.closed().then((error) => {
      // Closed without close(): reconnect attempts ran out. Pending requests cannot be answered any more.
      if (this.isClosed) return;
      const reason = error instanceof Error ? error.message : 'connection closed';
      this.connectionLost(new NodeUnavailableError({ node: nc.getServer() || 'nats', reason }));
    });
  }

  /**
   * Connects and subscribes the reply subject. Rejects with `NodeUnavailableError` when no server accepts the
   * connection within `connectTimeoutMs`, and with `ConfigError` (field `nats`) when the credentials are unusable
   * or the server refuses them (retrying cannot help). After that, lost connections are retried per the reconnect
   * options and reported as status events; frames published while disconnected are buffered by the client.
   */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    const id = newConnectionId();
    const name = options.name ?? id;
    const servers = typeof options.servers === 'string' ? options.servers : [...options.servers];
    const auth = options.auth ?? {};
    const authOptions = natsConnectionAuth(auth);
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...authOptions,
        servers,
        name,
        noAsyncTraces: true,
        reconnect: true,
        maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
        reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
        timeout: options.connectTimeoutMs ?? 5000,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (isNatsAuthRefusal(error)) {
        throw new ConfigError(
          {
            subject: 'NATS credentials',
            field: 'nats',
            reason: `${String(servers)} refused them (credentials: ${describeNatsAuth(auth)}): ${reason}`,
          },
          { cause: error },
        );
      }
      throw new NodeUnavailableError({ node: String(servers), reason }, { cause: error });
    }
    return new NatsTransport(nc, name, replySubject(options.cluster ?? DEFAULT_CLUSTER, id), options);
  }

  /**
   * The underlying nats.js connection, for the JetStream KV state store and leases (`state/`), which share it
   * rather than open a second connection. Borrowed: do not close or drain it; {@link close} does.
   */
  get natsConnection(): NatsConnection {
    return this.#nc;
  }

  /** The server this connection is using now (`host:port`), or '' while disconnected. */
  get server(): string {
    return this.#nc.getServer();
  }

  protected publishMessage(subject: string, message: Uint8Array, replyTo: string | undefined): void {
    if (replyTo === undefined) this.#nc.publish(subject, message);
    else this.#nc.publish(subject, message, { reply: replyTo });
  }

  protected subscribeMessages(subject: string, queue: string | undefined, inbox: MessageInbox): ConnectionSubscription {
    const options: SubscriptionOptions = {
      // One closure per subscription, not per message. `msg.reply` is '' when the publisher set none.
      callback: (error, msg) => {
        if (error !== null) return;
        // The server's "no responders" notice: an empty message with status 503 on the reply subject.
        if (msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS_STATUS && inbox.onNoResponders) {
          inbox.onNoResponders(msg.subject);
          return;
        }
        inbox.onMessage(msg.data, msg.reply || undefined, inbox.wantsSubject === true ? msg.subject : undefined);
      },
    };
    if (queue !== undefined) options.queue = queue;
    return this.#nc.subscribe(subject, options);
  }

  protected async flushConnection(): Promise<void> {
    await this.#nc.flush();
  }

  protected async closeConnection(): Promise<void> {
    if (this.#nc.isClosed()) return;
    try {
      // drain(): subscriptions stop, messages already received are handled (their replies publish at once:
      // the queue is in immediate mode), pending publishes are flushed, then the connection closes.
      await this.#nc.drain();
    } catch {
      // Already draining or closed: nothing left to flush.
    }
    await this.#nc.closed();
  }

  async #watchStatus(): Promise<void> {
    // nats.js' `reconnecting` event carries the server, not a count: attempts are counted here, per outage.
    let attempts = 0;
    for await (const s of this.#nc.status()) {
      switch (s.type) {
        case Events.Disconnect:
          attempts = 0;
          this.emitStatus({ type: 'disconnected', server: String(s.data) });
          break;
        case DebugEvents.Reconnecting:
          this.emitStatus({ type: 'reconnecting', attempt: ++attempts });
          break;
        case Events.Reconnect:
          attempts = 0;
          this.emitStatus({ type: 'reconnected', server: String(s.data) });
          break;
        case Events.Error:
          this.emitStatus({ type: 'error', message: String(s.data) });
          break;
        default:
          break;
      }
    }
  }
}
