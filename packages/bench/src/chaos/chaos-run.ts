/**
 * One chaos run, end to end:
 *
 * ```
 * start NATS + nodes + client ─► load ─► warm-up
 *   ─► cycles × { kill -9 random node ─► time until its actors answer elsewhere ─► restart it ─► settle }
 *   ─► SIGSTOP one node > dead window ─► SIGCONT ─► settle          (--pause-ms 0 skips)
 *   ─► NATS: kill -9 a server, restart it with its store ─► settle   (--no-nats-restart skips)
 *   ─► stop the load ─► drain events ─► read every account ─► tally
 * ```
 * Failures of the load are expected only inside a fault's window (fault start → healed + `graceMs`).
 */
import type { ActorHandle } from '@lucent/node/internal';
import { ChaosEnv } from './chaos-env.js';
import { accountIds, accountType, ChaosLoad } from './chaos-load.js';
import type { ChaosOptions } from './chaos-options.js';
import { SeededRandom } from './chaos-random.js';
import {
  type AccountReadback,
  type ChaosCounts,
  chaosViolations,
  type FaultWindow,
  quantile,
  tallyChaos,
} from './chaos-tally.js';

/** One kill -9 cycle. */
export interface ChaosCycle {
  readonly victim: string;
  /** Actors the victim owned in the client's view when it was killed. */
  readonly actors: number;
  /** Kill → every one of them answered an ask (capped at `failoverCapMs`); undefined when it owned none. */
  readonly failoverMs: number | undefined;
  /** Restart → the node is ready and the client sees it again. */
  readonly restartMs: number;
}

/** What a run measured. */
export interface ChaosResult {
  readonly options: ChaosOptions;
  readonly counts: ChaosCounts;
  readonly violations: readonly string[];
  readonly cycles: readonly ChaosCycle[];
  readonly failoverP50Ms: number;
  readonly failoverMaxMs: number;
  readonly pause:
    | {
        readonly node: string;
        readonly pausedMs: number;
        readonly failoverMs: number | undefined;
        /** What the paused node logged after SIGCONT: log `msg` → lines (how it noticed and stepped down). */
        readonly logged: Readonly<Record<string, number>>;
      }
    | undefined;
  readonly nats: { readonly server: string; readonly outageMs: number } | undefined;
  readonly sent: { readonly deposits: number; readonly emits: number; readonly calls: number };
  /** Node processes that exited on their own (crashes); none expected. */
  readonly unexpectedExits: readonly string[];
  readonly durationMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the chaos scenario with `options`; `log` gets one progress line per step. */
export async function runChaos(options: ChaosOptions, log: (line: string) => void = () => {}): Promise<ChaosResult> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const random = new SeededRandom(options.seed);
  log(
    `starting ${options.natsCluster ? `a ${options.natsServers}-server NATS cluster` : 'nats-server'} and ${options.nodes} nodes`,
  );
  const env = await ChaosEnv.start(options);
  const load = new ChaosLoad(env.client.client, options, random, now);
  const windows: FaultWindow[] = [];
  const cycles: ChaosCycle[] = [];
  const type = accountType(options);
  const ids = accountIds(options.actors);
  const account = (id: string): ActorHandle => env.client.client.actor(type, id);
  const ownedBy = (node: string) => ids.filter((id) => env.client.view.ring.owner(`${type}/${id}`) === node);
  /** Kill (or pause) → every actor of `owned` answered, capped. */
  const timeUntilAnswered = async (owned: readonly string[], fromMs: number, capMs: number) => {
    if (owned.length === 0) return undefined;
    const deadline = fromMs + capMs;
    await Promise.all(
      owned.map(async (id) => {
        while (now() < deadline) {
          try {
            await account(id).ask({ type: 'get' }, { timeoutMs: Math.max(1, Math.min(1_000, deadline - now())) });
            return;
          } catch {
            await pause(50);
          }
        }
      }),
    );
    return Math.min(now() - fromMs, capMs);
  };
  let pauseResult: ChaosResult['pause'];
  let natsResult: ChaosResult['nats'];
  let counts: ChaosCounts;
  try {
    load.start();
    await pause(options.warmupMs);
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const victim = random.pick(env.nodeIds);
      const owned = ownedBy(victim);
      const killAt = now();
      await env.kill(victim);
      const failoverMs = await timeUntilAnswered(owned, killAt, options.failoverCapMs);
      const restartAt = now();
      await env.restart(victim);
      const restartMs = now() - restartAt;
      windows.push({ kind: 'kill', target: victim, startMs: killAt, endMs: now() + options.graceMs });
      cycles.push({ victim, actors: owned.length, failoverMs, restartMs });
      log(
        `cycle ${cycle}/${options.cycles}: killed ${victim} (${owned.length} actors), answered elsewhere after ` +
          `${failoverMs === undefined ? '-' : Math.round(failoverMs)} ms, restarted in ${Math.round(restartMs)} ms`,
      );
      await pause(options.settleMs);
    }
    if (options.pauseMs > 0) {
      const node = random.pick(env.nodeIds);
      const owned = ownedBy(node);
      const stopAt = now();
      env.signal(node, 'SIGSTOP');
      const failover = timeUntilAnswered(owned, stopAt, options.pauseMs);
      await pause(options.pauseMs);
      const linesBefore = env.nodes.get(node)?.lines.length ?? 0;
      env.signal(node, 'SIGCONT');
      const failoverMs = await failover;
      await env.client.waitForMembers(options.nodes, 30_000);
      await pause(options.settleMs);
      windows.push({ kind: 'pause', target: node, startMs: stopAt, endMs: now() + options.graceMs });
      const logged: Record<string, number> = {};
      for (const line of env.nodes.get(node)?.lines.slice(linesBefore) ?? []) {
        const msg = String(line.msg);
        logged[msg] = (logged[msg] ?? 0) + 1;
      }
      pauseResult = { node, pausedMs: options.pauseMs, failoverMs, logged };
      log(
        `paused ${node} for ${options.pauseMs} ms (${owned.length} actors answered elsewhere after ` +
          `${failoverMs === undefined ? '-' : Math.round(failoverMs)} ms), resumed`,
      );
    }
    if (options.natsRestart) {
      const at = now();
      const server = await env.restartNats(options.natsDownMs);
      await env.client.waitForMembers(options.nodes, 30_000);
      const outageMs = now() - at;
      windows.push({
        kind: options.natsCluster ? 'nats-crash' : 'nats-restart',
        target: server,
        startMs: at,
        endMs: now() + options.graceMs,
      });
      natsResult = { server, outageMs };
      log(`NATS server ${server} killed -9 and restarted with its store; nodes back after ${Math.round(outageMs)} ms`);
      await pause(options.settleMs);
    }
    await load.stop();
    log('load stopped; draining events and reading every account');
    const drainUntil = now() + options.drainMs;
    const unhandled = () => [...load.ackedEvents].filter((id) => !env.handled.has(id)).length;
    while (unhandled() > 0 && now() < drainUntil) await pause(250);
    await env.readCompletedFromStream();
    const accounts: AccountReadback[] = await Promise.all(
      ids.map(async (id): Promise<AccountReadback> => {
        for (let attempt = 0; attempt < 10; attempt++) {
          try {
            const state = (await account(id).ask({ type: 'get' }, { timeoutMs: 5_000 })) as AccountReadback['state'];
            return { id, state };
          } catch {
            await pause(500);
          }
        }
        return { id, state: undefined };
      }),
    );
    counts = tallyChaos({
      ackedDeposits: load.ackedDeposits,
      sentAmounts: load.sentAmounts,
      accounts,
      ackedEvents: load.ackedEvents,
      handledEvents: env.handled,
      failures: load.failures,
      windows,
    });
  } finally {
    await load.stop();
    await env.stop();
  }
  const failovers = cycles.flatMap((c) => (c.failoverMs === undefined ? [] : [c.failoverMs]));
  const violations = chaosViolations(counts);
  if (env.unexpectedExits.length > 0) violations.push(`unexpectedExits=${env.unexpectedExits.length}`);
  return {
    options,
    counts,
    violations,
    cycles,
    failoverP50Ms: quantile(failovers, 0.5),
    failoverMaxMs: quantile(failovers, 1),
    pause: pauseResult,
    nats: natsResult,
    sent: { ...load.sent },
    unexpectedExits: [...env.unexpectedExits],
    durationMs: now(),
  };
}
