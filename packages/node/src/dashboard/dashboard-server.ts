/**
 * The dashboard's HTTP side (plain `node:http`, bound to 127.0.0.1 unless told otherwise):
 *
 * ```
 *  GET /                     the page (dashboard-page.ts)
 *  GET /uplot.js, /uplot.css uPlot, served from the installed package (no CDN)
 *  GET /events               Server-Sent Events: every cluster snapshot as it is collected
 *  GET /actor?type=&id=      Server-Sent Events: one actor, sent again whenever it changes (polled twice a second)
 * ```
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Clock, TimerHandle } from '@lucent/core/internal';
import type { DashboardCollector } from './dashboard-collector.js';
import { DASHBOARD_PAGE } from './dashboard-page.js';

export interface DashboardServerOptions {
  readonly collector: DashboardCollector;
  readonly clock: Clock;
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** How often an open actor is polled (default 500 ms). */
  readonly actorPollMs?: number;
}

const ASSETS = (() => {
  const require = createRequire(import.meta.url);
  return {
    '/uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
    '/uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  } as const;
})();

export class DashboardServer {
  readonly #server: Server;
  readonly #options: DashboardServerOptions;
  readonly #streams = new Set<ServerResponse>();

  private constructor(options: DashboardServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => this.#route(req, res));
  }

  static async start(options: DashboardServerOptions): Promise<DashboardServer> {
    const dashboard = new DashboardServer(options);
    await new Promise<void>((resolve, reject) => {
      dashboard.#server.once('error', reject);
      dashboard.#server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
    return dashboard;
  }

  get url(): string {
    const address = this.#server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}/`;
  }

  async close(): Promise<void> {
    for (const stream of this.#streams) stream.end();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET') {
      res.writeHead(405, { Allow: 'GET' }).end();
      return;
    }
    if (url.pathname === '/') {
      res
        .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
        .end(DASHBOARD_PAGE);
    } else if (url.pathname === '/uplot.js' || url.pathname === '/uplot.css') {
      const asset = ASSETS[url.pathname];
      res.writeHead(200, { 'Content-Type': asset.type }).end(readFileSync(asset.file));
    } else if (url.pathname === '/events') this.#snapshots(res);
    else if (url.pathname === '/actor') {
      const type = url.searchParams.get('type') ?? '';
      const id = url.searchParams.get('id') ?? '';
      if (type === '' || id === '') res.writeHead(400).end('type and id are required\n');
      else this.#actor(res, type, id);
    } else res.writeHead(404).end('not found\n');
  }

  #openStream(res: ServerResponse, onClose: () => void): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    this.#streams.add(res);
    res.on('close', () => {
      this.#streams.delete(res);
      onClose();
    });
  }

  #snapshots(res: ServerResponse): void {
    const { collector } = this.#options;
    const send = (value: unknown): void => {
      res.write(`data: ${JSON.stringify(value)}\n\n`);
    };
    const remove = collector.onSnapshot(send);
    this.#openStream(res, remove);
    if (collector.latest !== undefined) send(collector.latest);
  }

  #actor(res: ServerResponse, type: string, id: string): void {
    const { collector, clock } = this.#options;
    let last = '';
    let timer: TimerHandle | undefined;
    let open = true;
    const poll = async (): Promise<void> => {
      const text = JSON.stringify(await collector.actor(type, id));
      if (!open) return;
      if (text !== last) {
        last = text;
        res.write(`data: ${text}\n\n`);
      }
      timer = clock.setTimeout(() => void poll(), this.#options.actorPollMs ?? 500);
    };
    this.#openStream(res, () => {
      open = false;
      if (timer !== undefined) clock.clearTimeout(timer);
    });
    void poll();
  }
}
