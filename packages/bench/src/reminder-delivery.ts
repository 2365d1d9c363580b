/**
 * The end-to-end half of `node/reminders`: what a trigger costs when it reaches a real actor. One `lucent-node`
 * process (the CLI) hosts the durable counter of `node/durable` (an ask is answered once its state is in KV); this
 * process stores `count` delayed messages (`client.tellAt`, one `inc` each, spread over `ACTORS` actors) due at
 * one instant, and times from that instant until the node has delivered every one and the store holds none (a
 * one-shot leaves the store only after its actor answered the delivery; polled every 100 ms). The raw ceiling in
 * the same rounds: the same number of `inc` asks from this process to the same actors, 256 in flight like the
 * node's reminder deliveries (`maxInFlight`): what the actors and their state writes allow with no reminder in
 * the way. Actors are activated beforehand, for both. The node's CPU per trigger includes its idle work (heartbeats,
 * view polls) over the seconds measured, so it reads high when the rate is low.
 */
import { fileURLToPath } from 'node:url';
import { type ClusterClient, kvBucketName, partitionBucket } from '@lucent/node/internal';
import { connect, type JetStreamManager } from 'nats';
import { startBenchCluster } from './bench-cluster.js';
import { median } from './measure.js';
import { processCpuUs } from './process-cpu.js';

const CLUSTER = 'bench-reminders';
const ACTORS = 1_000;
/** Writes in flight. */
const IN_FLIGHT = 1_024;
/** Asks in flight: the node's default for reminder deliveries. */
const DELIVERIES_IN_FLIGHT = 256;
const TIMEOUT_MS = 60_000;
const PARTITIONS = 16;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Medians over the rounds: reminders delivered end to end per second, direct asks per second, node CPU. */
export interface ReminderDeliveryResult {
  readonly triggers: number;
  readonly asks: number;
  /** CPU of the node process per trigger (µs): its scheduler, the delivery, the actor and its state write. */
  readonly nodeUsPerTrigger: number;
  readonly nodeUsPerAsk: number;
  readonly rounds: readonly { triggers: number; asks: number; writeMs: number }[];
}

/** Runs `rounds` alternating rounds of `count` reminders and `count` asks; see the module doc. */
export async function reminderDelivery(count: number, rounds: number): Promise<ReminderDeliveryResult> {
  const bench = await startBenchCluster({
    cluster: CLUSTER,
    nodes: ['reminders-1'],
    args: ['--threads', '1', '--actors', path('./processes/durable-actors.js'), '--log-level', 'info'],
    clientName: 'bench-client',
  });
  const nc = await connect({ servers: bench.server.url, noAsyncTraces: true });
  try {
    const jsm = await nc.jetstreamManager();
    const nodePid = bench.nodes[0]?.pid ?? -1;
    const cluster = bench.clusterClient;
    await asks(cluster, ACTORS); // activations, JIT
    const results: { triggers: number; asks: number; writeMs: number; nodeUs: number; askUs: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const trigger = await triggersEndToEnd(cluster, jsm, count, nodePid);
      const cpu = processCpuUs(nodePid) ?? Number.NaN;
      const started = performance.now();
      await asks(cluster, count);
      const askRate = count / ((performance.now() - started) / 1000);
      const askUs = ((processCpuUs(nodePid) ?? Number.NaN) - cpu) / count;
      results.push({ ...trigger, asks: askRate, askUs });
      console.log(`node/reminders: end to end, round ${round + 1}/${rounds}: ${JSON.stringify(results.at(-1))}`);
    }
    return {
      triggers: median(results.map((r) => r.triggers)),
      asks: median(results.map((r) => r.asks)),
      nodeUsPerTrigger: median(results.map((r) => r.nodeUs)),
      nodeUsPerAsk: median(results.map((r) => r.askUs)),
      rounds: results.map(({ triggers, asks, writeMs }) => ({ triggers, asks, writeMs })),
    };
  } finally {
    await nc.close();
    await bench.close();
  }
}

/** `count` reminders due at one instant, written ahead; the rate from that instant until none is stored. */
async function triggersEndToEnd(cluster: ClusterClient, jsm: JetStreamManager, count: number, nodePid: number) {
  const writing = performance.now();
  // Due after the writes (1.5–4.5 s for 10 000 here; a late write only makes the rate lower, and is reported).
  const dueAt = Date.now() + 6_000;
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const i = next++;
        await cluster.client.tellAt('durableCounter', `a${i % ACTORS}`, { type: 'inc' }, dueAt);
      }
    }),
  );
  const writeMs = performance.now() - writing;
  await sleep(dueAt - Date.now());
  const cpu = processCpuUs(nodePid) ?? Number.NaN;
  const started = performance.now();
  const deadline = Date.now() + TIMEOUT_MS;
  while ((await storedReminders(jsm)) > 0) {
    if (Date.now() > deadline) throw new Error(`reminders still stored ${TIMEOUT_MS} ms after they were due`);
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  return { triggers: count / seconds, writeMs, nodeUs: ((processCpuUs(nodePid) ?? Number.NaN) - cpu) / count };
}

/** Messages in the cluster's reminder streams (one per partition). */
async function storedReminders(jsm: JetStreamManager): Promise<number> {
  const bucket = kvBucketName(CLUSTER, 'reminders');
  const infos = await Promise.all(
    Array.from({ length: PARTITIONS }, (_, p) => jsm.streams.info(`KV_${partitionBucket(bucket, p)}`)),
  );
  return infos.reduce((sum, info) => sum + info.state.messages, 0);
}

/** `count` `inc` asks round-robin over the actors, `DELIVERIES_IN_FLIGHT` at once. */
async function asks(cluster: ClusterClient, count: number): Promise<void> {
  const handles = Array.from({ length: ACTORS }, (_, i) => cluster.client.actor('durableCounter', `a${i}`));
  const inc = { type: 'inc' };
  const options = { timeoutMs: TIMEOUT_MS };
  let next = 0;
  await Promise.all(
    Array.from({ length: DELIVERIES_IN_FLIGHT }, async () => {
      while (next < count) await (handles[next++ % ACTORS] as (typeof handles)[number]).ask(inc, options);
    }),
  );
}

function path(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}
