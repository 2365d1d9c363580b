/**
 * An in-process cluster for router and client tests: several "nodes" = several InMemoryTransport connections on
 * one InMemoryBus, each with its own registry, request handler, inline runner (which records where each call
 * ran) and function actors over one shared MemoryStateStore (the KV twin). Views are fixed per node and per
 * client, so tests can make them disagree on purpose.
 */
import {
  type AnyActorDefinition,
  createActorSystem,
  createFunctionActors,
  type FunctionActors,
  type LocalActorSystem,
  MemoryStateStore,
} from '@lucent/actors';
import type { EnvelopeKind, LucentError } from '@lucent/core';
import {
  type ClusterView,
  createClusterView,
  createRegistry,
  type FunctionDefinition,
  type FunctionRegistry,
  fixedViewSource,
  type LoadReport,
} from '@lucent/core';
import { createClient, type LucentClient } from '../src/client/lucent-client.js';
import { createInlineRunner, type FunctionRunner } from '../src/router/function-runner.js';
import { type RequestHandlerOptions, RoutingRequestHandler } from '../src/router/request-handler.js';
import { subscribeRequestHandler } from '../src/router/router-subscriptions.js';
import { InMemoryBus } from '../src/transport/in-memory-bus.js';
import { InMemoryTransport, type InMemoryTransportOptions } from '../src/transport/in-memory-transport.js';

export const IDLE_LOAD: LoadReport = {
  cpu: 0,
  memory: 0,
  activeFunctions: 0,
  maxFunctions: 8,
  queueDepth: 0,
  maxQueue: 100,
};

/** A view over `ids` (small vnode count: fast to build, placement is still a real ring). */
export function viewOf(...ids: string[]): ClusterView {
  return createClusterView(
    ids.map((id) => ({ id, tags: [], load: IDLE_LOAD })),
    { vnodesPerWeight: 64 },
  );
}

/** One call as the node's runner saw it. */
export interface RunRecord {
  readonly node: string;
  readonly name: string;
  readonly input: unknown;
}

export interface TestNode {
  readonly id: string;
  readonly transport: InMemoryTransport;
  readonly handler: RoutingRequestHandler;
  readonly registry: FunctionRegistry;
  readonly system: LocalActorSystem;
  readonly actors: FunctionActors<readonly AnyActorDefinition[]>;
  readonly dropped: { kind: EnvelopeKind; target: string; error: LucentError }[];
}

export interface TestClusterOptions {
  readonly nodes: readonly string[];
  readonly functions?: readonly FunctionDefinition[];
  readonly actors?: readonly AnyActorDefinition[];
  /** A node's own view; default: every node. */
  readonly viewOf?: (nodeId: string) => ClusterView | undefined;
  /** Replaces a node's runner (e.g. the real pool); default an inline runner over the node's registry. */
  readonly runnerOf?: (nodeId: string, registry: FunctionRegistry) => FunctionRunner | undefined;
  readonly handler?: Partial<RequestHandlerOptions>;
}

export class TestCluster {
  readonly bus = new InMemoryBus();
  readonly nodes = new Map<string, TestNode>();
  readonly runs: RunRecord[] = [];
  readonly store = new MemoryStateStore();
  readonly fullView: ClusterView;
  readonly #transports: InMemoryTransport[] = [];

  constructor(options: TestClusterOptions) {
    this.fullView = viewOf(...options.nodes);
    for (const id of options.nodes) {
      const registry = createRegistry(options.functions ?? []);
      const inline = options.runnerOf?.(id, registry) ?? createInlineRunner(registry);
      const runner: FunctionRunner = {
        call: (name, input, runOptions) => {
          this.runs.push({ node: id, name, input });
          return inline.call(name, input, runOptions);
        },
      };
      const transport = this.connect({ name: id });
      const system = createActorSystem({ name: id });
      const actors = createFunctionActors({ system, store: this.store, definitions: options.actors ?? [] });
      const view = options.viewOf === undefined ? this.fullView : options.viewOf(id);
      const dropped: TestNode['dropped'] = [];
      const handler = new RoutingRequestHandler({
        nodeId: id,
        transport,
        functions: registry,
        runner,
        actors,
        view: fixedViewSource(view),
        observer: { dropped: (kind, target, error) => dropped.push({ kind, target, error }) },
        ...options.handler,
      });
      subscribeRequestHandler(transport, handler.handle, { nodeId: id, functions: registry });
      this.nodes.set(id, { id, transport, handler, registry, system, actors, dropped });
    }
  }

  node(id: string): TestNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** A new connection to the bus, closed by {@link close}. */
  connect(options: InMemoryTransportOptions = {}): InMemoryTransport {
    const transport = new InMemoryTransport(this.bus, options);
    this.#transports.push(transport);
    return transport;
  }

  /** A client on its own connection, routing with `view` (default: the full view; `null`: no view). */
  client(view: ClusterView | null = this.fullView, options: InMemoryTransportOptions = {}): LucentClient {
    const transport = this.connect(options);
    return createClient(view === null ? { transport } : { transport, viewSource: fixedViewSource(view) });
  }

  /** Nodes where `name` ran, in order. */
  ranOn(name: string): string[] {
    return this.runs.filter((r) => r.name === name || r.name.startsWith(`${name}@`)).map((r) => r.node);
  }

  /** Forwards counted over all nodes. */
  get forwards(): number {
    let total = 0;
    for (const node of this.nodes.values()) total += node.handler.stats.forwarded;
    return total;
  }

  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      await node.actors.stopAll();
      await node.system.terminate();
    }
    await Promise.all(this.#transports.map((t) => t.close()));
  }
}

/** The code of what a promise rejects with, or `'resolved'`. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: string; origin: string | undefined }> {
  try {
    await promise;
    return { code: 'resolved', origin: undefined };
  } catch (error) {
    const e = error as { code?: string; origin?: string };
    return { code: e.code ?? String(error), origin: e.origin };
  }
}
