/**
 * `node/registry`: the deployed registry (issue 13). Three `lucent-node` processes (the real CLI) on a
 * nats-server with JetStream; this process deploys modules with `deployModule` (what `lucent deploy` runs) and
 * calls through a `connectCluster` client that follows the registry.
 *
 * - Propagation: from the registry record written (deploy returned) to the version advertised by all 3 nodes
 *   (fetched, checksum checked, pool started: routable), median of several deploys of fresh modules; and the
 *   deploy itself (esbuild bundle, object put, record).
 * - Steady: calls/s of a deployed function against the same function loaded statically with `--functions` (the
 *   raw baseline: no registry), through the same client, in paired rounds of rotating order; and the CPU time
 *   per call of the 3 nodes and the client (from /proc), which the machine's other load moves far less.
 * - Hot swap: under one continuous load, a window that starts with the deploy of a new version (which then
 *   becomes routable and takes over: the old one's weight set to 0) against the window just before it, five
 *   times (goal: swap ≥ 0.9× steady, medians); control pairs with no swap show the machine's noise floor. The
 *   CPU time per call of the 3 nodes and the client in both windows says what the swap costs the serving path
 *   where calls/s swings with the machine's other load.
 * Bounded: ~45 s plus process start-up.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  bundleModule,
  type ClusterClient,
  connectCluster,
  deployModule,
  NatsTransport,
  type NodeProcess,
  RegistryStore,
  setWeight,
  startNatsServer,
  startNodeProcess,
} from '@lucent/node/internal';
import { type Call, pipelined } from '../closed-loop.js';
import { median } from '../measure.js';
import type { Measurement, Scenario } from '../scenario.js';

const CLUSTER = 'bench-registry';
const NODES = ['r1', 'r2', 'r3'];
const HEARTBEAT_MS = 200;
const IN_FLIGHT = 200;
const ROUNDS = 5;
const ROUND_MS = 1_000;
const PROPAGATION_SAMPLES = 3;
const SWAPS = 5;
const SWAP_WINDOW_MS = 2_000;
// Inside the bench package, so the bundler resolves `@lucent/core` from the modules.
const workDir = fileURLToPath(new URL('../../.registry-bench/', import.meta.url));
const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** A module exporting `bumpN@version` (x => x + 1), written to the work dir; resolves with its path. */
async function moduleFile(name: string, version: string): Promise<string> {
  const file = `${workDir}${name}-${version}.mjs`;
  const source =
    "import { defineFunction } from '@lucent/core';\n" +
    `export const fn = defineFunction({ name: '${name}', version: '${version}' }, (_ctx, x) => x + 1);\n`;
  await writeFile(file, source);
  return file;
}

/** Resolves once every member of the view advertises `fn:<ref>`; the elapsed ms. */
async function untilRoutable(cluster: ClusterClient, ref: string, timeoutMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const members = cluster.view.members;
    if (members.length === NODES.length && members.every((m) => m.modules?.includes(`fn:${ref}`) === true)) {
      return performance.now() - t0;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${ref} not routable within ${timeoutMs} ms`);
}

/** CPU time (user + system) of processes `pids` so far, in ms, from /proc; 0 where /proc is not there. */
function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th (clock ticks of 10 ms on Linux).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  }
  return ticks * 10;
}

const fmt = (ratios: readonly number[]): string => ratios.map((r) => r.toFixed(2)).join(', ');

/**
 * Closed loops that keep `inFlight` calls outstanding until stopped, counting completions; each window also
 * reads the CPU time of processes `pids` (what a swap costs the serving path, less moved by the machine's
 * other load than calls/s).
 */
function continuousLoad(call: Call, inFlight: number, pids: readonly number[]) {
  let done = 0;
  let stopped = false;
  const lanes = Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (!stopped) {
        await call();
        done++;
      }
    }),
  );
  /** Calls/s over `ms` (at least), and the CPU µs per call of `pids` meanwhile. */
  const rate = async (ms: number, work: () => Promise<void>) => {
    const c0 = done;
    const cpu0 = cpuMs(pids);
    const t0 = performance.now();
    await Promise.all([work(), new Promise((resolve) => setTimeout(resolve, ms))]);
    const calls = done - c0;
    return { rate: calls / ((performance.now() - t0) / 1000), cpuPerCall: ((cpuMs(pids) - cpu0) * 1000) / calls };
  };
  return {
    /** A window of `ms` with nothing done, then one of the same length (or longer) in which `work` runs. */
    async pair(ms: number, work: () => Promise<void>) {
      const before = await rate(ms, async () => {});
      const during = await rate(ms, work);
      return { before: before.rate, during: during.rate, cpuBefore: before.cpuPerCall, cpuDuring: during.cpuPerCall };
    },
    async stop(): Promise<void> {
      stopped = true;
      await lanes;
    },
  };
}

export const scenario: Scenario = {
  name: 'node/registry',
  suite: 'node',
  async run() {
    await mkdir(workDir, { recursive: true });
    const server = await startNatsServer({ jetstream: true });
    const nodes: NodeProcess[] = [];
    let cluster: ClusterClient | undefined;
    let raw: NatsTransport | undefined;
    try {
      for (const id of NODES) {
        nodes.push(
          startNodeProcess({
            args: [
              ...['--shard', id, '--nats', server.url, '--cluster', CLUSTER, '--threads', '1'],
              ...['--functions', path('../fixtures/add-one.js'), '--http-port', '0'],
              ...['--heartbeat-interval-ms', String(HEARTBEAT_MS), '--log-level', 'info'],
            ],
            stderr: 'inherit',
          }),
        );
      }
      await Promise.all(nodes.map((node) => node.waitForLog('node.ready', 30_000)));
      cluster = await connectCluster({
        servers: server.url,
        cluster: CLUSTER,
        heartbeatIntervalMs: HEARTBEAT_MS,
        registry: {},
      });
      await cluster.waitForMembers(NODES.length, 30_000);
      raw = await NatsTransport.connect({ servers: server.url, cluster: CLUSTER });
      const store = await RegistryStore.open(raw.natsConnection, { cluster: CLUSTER });
      const deploy = (entry: string) => deployModule(store, { entry, cacheDir: workDir });

      // Propagation: fresh modules (new checksums), so every sample fetches, checks and starts a pool.
      const deployMs: number[] = [];
      const propagationMs: number[] = [];
      for (let i = 1; i <= PROPAGATION_SAMPLES; i++) {
        const entry = await moduleFile(`probe${i}`, '1');
        const t0 = performance.now();
        await deploy(entry);
        deployMs.push(performance.now() - t0);
        propagationMs.push(await untilRoutable(cluster, `probe${i}@1`));
      }

      // Hot swap: bump@1 steady, then bump@2 deployed and swapped in during a measured window.
      await deploy(await moduleFile('bump', '1'));
      await untilRoutable(cluster, 'bump@1');
      const client = cluster.client;
      let x = 0;
      const deployed: Call = () => client.call('bump', x++);
      const pinned: Call = () => client.call('bump@1', x++);
      const staticFn: Call = () => client.call('addOne', x++);
      await pipelined(deployed, IN_FLIGHT, 1_000);
      await pipelined(staticFn, IN_FLIGHT, 1_000);
      // Deployed against static: paired rounds in rotating order, so neither always runs first (machine drift
      // and the other's leftovers spread over both); the ratio of each round is kept.
      const steady: number[] = [];
      const pinnedRates: number[] = [];
      const statics: number[] = [];
      const roundRatios: number[] = [];
      // CPU time per call (the 3 nodes and this client), which the machine's other load moves far less than calls/s.
      const deployedCpu: number[] = [];
      const staticCpu: number[] = [];
      const pinnedCpu: number[] = [];
      const kinds = [
        { call: deployed, into: steady, cpu: deployedCpu },
        { call: staticFn, into: statics, cpu: staticCpu },
        { call: pinned, into: pinnedRates, cpu: pinnedCpu },
      ];
      const pids = [process.pid, ...nodes.map((node) => node.pid)];
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < kinds.length; k++) {
          const kind = kinds[(r + k) % kinds.length]!;
          const cpu0 = cpuMs(pids);
          const t0 = performance.now();
          const rate = await pipelined(kind.call, IN_FLIGHT, ROUND_MS);
          const calls = (rate * (performance.now() - t0)) / 1000;
          kind.into.push(rate);
          kind.cpu.push(((cpuMs(pids) - cpu0) * 1000) / calls);
        }
        roundRatios.push(steady[r]! / statics[r]!);
      }
      // Swaps under one continuous load: each compares the window that starts with the deploy (the next version
      // bundled, stored and recorded, fetched and started on every node, routable, then the previous one's weight
      // set to 0: it took over) with the window of the same length just before it. Controls measure two adjacent
      // windows with no swap: the noise floor of the ratio on this machine. Each version is bundled once before its
      // window (the operator's build step: esbuild's service started, sources read); the deploy in the window still
      // bundles, stores and records.
      const load = continuousLoad(deployed, IN_FLIGHT, pids);
      const swapCpuBefore: number[] = [];
      const swapCpuDuring: number[] = [];
      const swapSteady: number[] = [];
      const swapRates: number[] = [];
      const swapRatios: number[] = [];
      const controlRatios: number[] = [];
      const swapMs: number[] = [];
      try {
        for (let v = 2; v <= 1 + SWAPS; v++) {
          const next = await moduleFile('bump', String(v));
          await bundleModule(next);
          const control = await load.pair(SWAP_WINDOW_MS, async () => {});
          controlRatios.push(control.during / control.before);
          const pair = await load.pair(SWAP_WINDOW_MS, async () => {
            const started = performance.now();
            await deploy(next);
            await untilRoutable(cluster!, `bump@${v}`);
            await store.modify('bump', (record) => setWeight(record!, String(v - 1), 0));
            swapMs.push(performance.now() - started);
          });
          swapSteady.push(pair.before);
          swapRates.push(pair.during);
          swapCpuBefore.push(pair.cpuBefore);
          swapCpuDuring.push(pair.cpuDuring);
          swapRatios.push(pair.during / pair.before);
        }
      } finally {
        await load.stop();
      }

      const measurements: Measurement[] = [
        { name: 'deploy (bundle, store, record)', value: median(deployMs) * 1000, unit: 'µs' },
        { name: 'propagation: record → routable on 3 nodes', value: median(propagationMs) * 1000, unit: 'µs' },
        { name: 'deployed fn, steady', value: median(steady), unit: 'calls/s' },
        { name: 'deployed fn, steady (window before each swap)', value: median(swapSteady), unit: 'calls/s' },
        { name: 'deployed fn, during a hot swap', value: median(swapRates), unit: 'calls/s' },
        { name: 'deployed fn pinned (name@version: no version choice)', value: median(pinnedRates), unit: 'calls/s' },
        { name: 'static --functions fn (raw: no registry)', value: median(statics), unit: 'calls/s' },
        ...(cpuMs(pids) > 0
          ? ([
              { name: 'deployed fn, CPU per call (3 nodes + client)', value: median(deployedCpu), unit: 'µs' },
              { name: 'deployed fn pinned, CPU per call', value: median(pinnedCpu), unit: 'µs' },
              { name: 'static fn, CPU per call (raw)', value: median(staticCpu), unit: 'µs' },
              {
                name: 'deployed fn, CPU per call (window before each swap)',
                value: median(swapCpuBefore),
                unit: 'µs',
              },
              { name: 'deployed fn, CPU per call during a hot swap', value: median(swapCpuDuring), unit: 'µs' },
            ] satisfies Measurement[])
          : []),
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'calls/s during a hot swap / steady',
            of: 'deployed fn, during a hot swap',
            to: 'deployed fn, steady (window before each swap)',
            goal: { op: '>=', value: 0.9 },
          },
          {
            name: 'CPU per call: window before a swap / during it (≥ 0.9: a swap costs ≤ ~10 % more per call)',
            of: 'deployed fn, CPU per call (window before each swap)',
            to: 'deployed fn, CPU per call during a hot swap',
            goal: { op: '>=', value: 0.9 },
          },
          {
            name: 'deployed fn / static fn, steady',
            of: 'deployed fn, steady',
            to: 'static --functions fn (raw: no registry)',
          },
          {
            name: 'static / deployed CPU per call (≥ 0.95: deployed costs ≤ ~5 % more)',
            of: 'static fn, CPU per call (raw)',
            to: 'deployed fn, CPU per call (3 nodes + client)',
            goal: { op: '>=', value: 0.95 },
          },
        ],
        notes: [
          `${NODES.length} lucent-node processes (--threads 1) on nats-server ${server.url} with JetStream; client = this process (connectCluster, registry followed); ${IN_FLIGHT} calls in flight;`,
          `steady: ${ROUNDS} rounds of ${ROUND_MS} ms per function, in rotating order; medians; deployed/static per round: ${fmt(roundRatios)} (median ${median(roundRatios).toFixed(2)});`,
          `hot swap: ${SWAPS} swaps under one continuous load, each a ${SWAP_WINDOW_MS} ms window starting with the deploy against the ${SWAP_WINDOW_MS} ms just before; the swap (deploy, routable on 3 nodes, previous weight 0) took ${swapMs.map((ms) => Math.round(ms)).join(', ')} ms; swap/steady per swap: ${fmt(swapRatios)} (median ${median(swapRatios).toFixed(2)}); CPU µs per call (3 nodes + client) before/during each swap: ${swapCpuBefore.map((b, i) => `${b.toFixed(1)}/${swapCpuDuring[i]!.toFixed(1)}`).join(', ')}; control pairs with no swap (noise floor): ${fmt(controlRatios)} (median ${median(controlRatios).toFixed(2)});`,
          `propagation = median of ${PROPAGATION_SAMPLES} deploys of fresh modules (samples ms: ${propagationMs.map((ms) => Math.round(ms)).join(', ')}).`,
        ],
      };
    } finally {
      await cluster?.close();
      await raw?.close();
      for (const node of nodes) await node.stop();
      await server.stop();
      await rm(workDir, { recursive: true, force: true });
    }
  },
};
