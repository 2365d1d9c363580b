/**
 * `node/reminders`: the durable reminder scheduler of a node (`ReminderScheduler`) on a real nats-server with
 * JetStream (the reminder KV buckets, one per partition), three numbers from issue 17, each next to the raw library
 * in the same run (`REMINDER_ROUNDS` alternating rounds, default 3; medians), and the same path end to end:
 *
 * 1. Triggers/s: N reminders all due, one node owning every partition; the time from taking ownership (scan
 *    included) until each was delivered, acknowledged and removed from the store (purged in runs, or acked
 *    alone). The delivery is a no-op here, so this is the scheduler and store's rate, not an actor's. Raw, same
 *    count, same process:
 *    - the same job hand-written with nats.js: KV watch of every partition, a conditional `kv.delete` per entry
 *      (1 024 in flight);
 *    - its two halves alone: the KV watch scan, and pipelined message deletes (`JetStreamPipeline`; the store's
 *      ack before fired reminders were purged in runs).
 *    Goal ≥ 20 000/s (Dapr's scheduler reports 15 500/s).
 *    End to end (`reminder-delivery.ts`): delayed messages delivered by a `lucent-node` process to durable actors,
 *    beside direct asks to the same actors (what a delivery costs on the actor side).
 * 2. Fire delay at 1 000 reminders/s: reminders due at a steady 1 000/s for 3 s; delay = delivery start − due
 *    time (wall clock). Raw: plain `setTimeout`s due at the same rate, and the event loop's own delay (p99) in
 *    the same seconds: what any timer in this process gets. Goal p99 ≤ 100 ms.
 * 3. Memory with 1 000 000 pending reminders on one node: the heap the scheduler holds after scanning 1M pending
 *    reminders (far in the future) with its default window (10 000), against an unbounded window (what keeping
 *    them all would cost). The 1M records come from a store that generates them during the scan instead of
 *    nats-server (writing 1M KV entries takes minutes on this machine); the scheduler cannot tell the difference
 *    and the store holds none of them, so the heap measured is the node's own.
 */

import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '@lucent/core/internal';
import {
  JetStreamPipeline,
  KvReminderStore,
  type PartitionListener,
  type PartitionWatch,
  ReminderScheduler,
  type ReminderStore,
  type StoredReminder,
  startNatsServer,
} from '@lucent/node/internal';
import { connect, type KV, type KvEntry, type NatsConnection } from 'nats';
import { reminderDelivery } from '../reminder-delivery.js';
import type { Measurement, Scenario } from '../scenario.js';

const TRIGGERS = Number(process.env.REMINDER_TRIGGERS ?? 20_000);
/** Reminders per round of the end-to-end part (delivered to durable actors by a `lucent-node` process). */
const DELIVERED = Number(process.env.REMINDER_DELIVERED ?? 10_000);
const RATE_PER_S = 1_000;
const RATE_SECONDS = 3;
const PENDING = Number(process.env.REMINDER_PENDING ?? 1_000_000);
const PARTITIONS = 16;
const ALL = Array.from({ length: PARTITIONS }, (_, i) => i);
const ROUNDS = Number(process.env.REMINDER_ROUNDS ?? 3);
const IN_FLIGHT = 1_024;
const VALUE = new Uint8Array(60); // about a stored reminder's size

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function putAll(store: ReminderStore, count: number, dueAt: (i: number) => number, prefix: string) {
  let batch: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const record = { actorType: 'bench', actorId: `${prefix}${i}`, name: 'r', dueAt: dueAt(i), everyMs: 0 };
    batch.push(store.put({ ...record, event: { type: 'tick' } }));
    if (batch.length >= 2_000) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
}

/** CPU µs per operation, in this process and in nats-server. */
interface CpuPerOp {
  readonly client: number;
  readonly server: number;
}

/** Triggers/s of the scheduler over `count` due reminders in KV (until the last ack is stored), and its CPU. */
async function triggerRate(
  store: ReminderStore,
  count: number,
  serverPid: number,
): Promise<{ rate: number; cpu: CpuPerOp }> {
  await putAll(store, count, () => Date.now(), 't-');
  const cpu = cpuMeter(serverPid);
  const started = performance.now();
  let fired = 0;
  let scheduler: ReminderScheduler | undefined;
  await new Promise<void>((resolve) => {
    scheduler = new ReminderScheduler({
      store,
      clock: systemClock,
      deliver: () => Promise.resolve(),
      // As many in flight as the raw baseline (the node's default is 256, a bound for real actor deliveries).
      maxInFlight: 1_024,
      onFired: () => {
        if (++fired === count) resolve();
      },
    });
    scheduler.setOwned(ALL);
  });
  // Done when every fired one also left the store (purged in runs, or acked alone), not merely delivered.
  while ((scheduler?.stats.inFlight ?? 0) > 0 || (scheduler?.stats.unpurged ?? 0) > 0) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  const used = perOp(cpu(), count);
  scheduler?.stop();
  return { rate: count / seconds, cpu: used };
}

/** CPU time (µs) this process and nats-server `serverPid` spend from now until the returned function is called. */
function cpuMeter(serverPid: number): () => { client: number; server: number } {
  const client = process.cpuUsage();
  const server = serverCpuMicros(serverPid);
  return () => {
    const used = process.cpuUsage(client);
    return { client: used.user + used.system, server: serverCpuMicros(serverPid) - server };
  };
}

/** utime + stime of `pid` in µs, from /proc (Linux; NaN elsewhere). Clock ticks are 100/s on Linux. */
function serverCpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

function perOp(used: { client: number; server: number }, count: number): CpuPerOp {
  return { client: used.client / count, server: used.server / count };
}

/** Runs `op(0..count-1)` with `inFlight` at once (a sliding window, not batches); resolves with ops/s. */
async function pipelined(count: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** A fresh KV bucket holding `count` keys spread over the partitions; resolves with each key's revision. */
async function filledBucket(nc: NatsConnection, bucket: string, count: number) {
  const kv = await nc.jetstream().views.kv(bucket, { history: 1 });
  const revisions: number[] = [];
  await pipelined(count, IN_FLIGHT, async (i) => {
    revisions[i] = await kv.put(`${i % PARTITIONS}.k${i}`, VALUE);
  });
  return { kv, revisions };
}

/** Watches every partition of `kv` until each has replayed what it holds; `onEntry` sees every entry. */
async function scanAll(kv: KV, onEntry: (entry: KvEntry) => void): Promise<() => void> {
  const watches = await Promise.all(
    ALL.map(
      (partition) =>
        new Promise<{ stop(): void }>((resolve) => {
          void kv.watch({ key: `${partition}.>`, initializedFn: () => resolve(watch) }).then((entries) => {
            watch.entries = entries;
            void (async () => {
              for await (const entry of entries) onEntry(entry);
            })();
          });
          const watch = {
            entries: undefined as { stop(): void } | undefined,
            stop: () => watch.entries?.stop(),
          };
        }),
    ),
  );
  return () => {
    for (const watch of watches) watch.stop();
  };
}

/** Raw rates over `count` keys: the scan alone, pipelined message deletes alone, and watch + `kv.delete`. */
async function rawRates(nc: NatsConnection, count: number, round: number, serverPid: number) {
  // The scan alone: every partition's watch replays its keys.
  const scanned = await filledBucket(nc, `bench-raw-scan-${round}`, count);
  let seen = 0;
  let cpu = cpuMeter(serverPid);
  let started = performance.now();
  (await scanAll(scanned.kv, () => seen++))();
  const scan = seen / ((performance.now() - started) / 1000);
  const scanCpu = perOp(cpu(), count);
  // The store's ack alone: a message delete per revision through the pipeline.
  const pipeline = new JetStreamPipeline(nc, { maxInFlight: IN_FLIGHT });
  const subject = `$JS.API.STREAM.MSG.DELETE.KV_bench-raw-scan-${round}`;
  const encoder = new TextEncoder();
  cpu = cpuMeter(serverPid);
  const deletes = await pipelined(count, count, (i) =>
    pipeline.request(subject, encoder.encode(`{"seq":${scanned.revisions[i]},"no_erase":true}`)),
  );
  const deleteCpu = perOp(cpu(), count);
  pipeline.close();
  // The whole job with nats.js alone: watch, and a conditional kv.delete per entry, IN_FLIGHT at once.
  const { kv } = await filledBucket(nc, `bench-raw-job-${round}`, count);
  let done = 0;
  let inFlight = 0;
  const waiting: KvEntry[] = [];
  cpu = cpuMeter(serverPid);
  started = performance.now();
  const stop = await new Promise<() => void>((resolve) => {
    let stopWatches: (() => void) | undefined;
    const finish = () => {
      if (++done === count) resolve(() => stopWatches?.());
    };
    const send = (entry: KvEntry) => {
      inFlight++;
      kv.delete(entry.key, { previousSeq: entry.revision }).then(() => {
        inFlight--;
        const next = waiting.pop();
        if (next !== undefined) send(next);
        finish();
      }, finish);
    };
    void scanAll(kv, (entry) => {
      if (entry.operation !== 'PUT') return;
      if (inFlight < IN_FLIGHT) send(entry);
      else waiting.push(entry);
    }).then((stopAll) => {
      stopWatches = stopAll;
    });
  });
  const job = count / ((performance.now() - started) / 1000);
  const jobCpu = perOp(cpu(), count);
  stop();
  return { scan, deletes, job, scanCpu, deleteCpu, jobCpu };
}

/** Fire delays (ms) of reminders due at a steady `RATE_PER_S`, and the event loop's delay p99 (ms) meanwhile. */
async function fireDelays(store: ReminderStore, round: number): Promise<{ delays: number[]; loopP99: number }> {
  const count = RATE_PER_S * RATE_SECONDS;
  const delays: number[] = [];
  const scheduler = new ReminderScheduler({
    store,
    clock: systemClock,
    deliver: (reminder) => {
      delays.push(Date.now() - reminder.dueAt);
      return Promise.resolve();
    },
  });
  scheduler.setOwned(ALL);
  // Written well ahead (3 000 puts take about a second here), so no reminder is stored after it is due.
  const first = Date.now() + 3_000;
  await putAll(store, count, (i) => first + Math.floor((i * 1000) / RATE_PER_S), `d${round}-`);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  await sleep(first - Date.now());
  loop.enable();
  const deadline = Date.now() + 60_000;
  while (delays.length < count && Date.now() < deadline) await sleep(100);
  loop.disable();
  scheduler.stop();
  return { delays, loopP99: loop.percentile(99) / 1e6 };
}

/** The raw timer floor: plain `setTimeout`s due at `RATE_PER_S` for `RATE_SECONDS`; lateness of each (ms). */
async function rawTimerDelays(): Promise<number[]> {
  const count = RATE_PER_S * RATE_SECONDS;
  const first = Date.now() + 500;
  const delays: number[] = [];
  await new Promise<void>((resolve) => {
    for (let i = 0; i < count; i++) {
      const dueAt = first + Math.floor((i * 1000) / RATE_PER_S);
      setTimeout(() => {
        if (delays.push(Date.now() - dueAt) === count) resolve();
      }, dueAt - Date.now());
    }
  });
  return delays;
}

/** A store that generates `count` pending reminders during a scan and holds none of them. */
class GeneratedStore implements ReminderStore {
  readonly partitions = PARTITIONS;
  constructor(readonly count: number) {}
  put(): Promise<void> {
    return Promise.resolve();
  }
  remove(): Promise<void> {
    return Promise.resolve();
  }
  ack(): Promise<boolean> {
    return Promise.resolve(true);
  }
  purgeBelow(): Promise<void> {
    return Promise.resolve();
  }
  reschedule(): Promise<boolean> {
    return Promise.resolve(true);
  }
  watch(partition: number, listener: PartitionListener): PartitionWatch {
    let active = true;
    const far = Date.now() + 86_400_000;
    void (async () => {
      for (let i = partition; i < this.count && active; i += PARTITIONS) {
        const reminder: StoredReminder = {
          actorType: 'bench',
          actorId: `p-${i}`,
          name: 'r',
          dueAt: far + ((i * 7919) % 1_000_000) * 1_000,
          everyMs: 0,
          event: { type: 'tick' },
          key: `${partition}.bench/p-${i}.r`,
          partition,
          revision: i + 1,
        };
        listener.put(reminder);
        if (i % 8_192 === partition) await new Promise((resolve) => setImmediate(resolve));
      }
      if (active) listener.ready();
    })();
    return { stop: () => (active = false) };
  }
}

async function heapAfterScan(
  windowCapacity: number,
): Promise<{ heapBytes: number; rssBytes: number; inWindow: number }> {
  const gc = findGc();
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc?.();
    }
    return process.memoryUsage();
  };
  const before = await settle();
  const scheduler = new ReminderScheduler({
    store: new GeneratedStore(PENDING),
    clock: systemClock,
    deliver: () => Promise.resolve(),
    windowCapacity,
  });
  scheduler.setOwned(ALL);
  while (scheduler.stats.scanning > 0) await sleep(50);
  const after = await settle();
  const inWindow = scheduler.stats.inWindow;
  scheduler.stop();
  return { heapBytes: after.heapUsed - before.heapUsed, rssBytes: after.rss, inWindow };
}

/** `gc()`, exposed at run time when the process was not started with `--expose-gc` (as actors/function does). */
function findGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

interface RoundResult {
  readonly load: number;
  readonly triggers: number;
  readonly clientUs: number;
  readonly serverUs: number;
  readonly jobClientUs: number;
  readonly jobServerUs: number;
  readonly scanClientUs: number;
  readonly scanServerUs: number;
  readonly deleteClientUs: number;
  readonly deleteServerUs: number;
  readonly job: number;
  readonly scan: number;
  readonly deletes: number;
  readonly p50: number;
  readonly p99: number;
  readonly fired: number;
  readonly loopP99: number;
  readonly timerP99: number;
}

function roundSummary(r: RoundResult): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const scenario: Scenario = {
  name: 'node/reminders',
  suite: 'node',
  async run() {
    const server = await startNatsServer({ jetstream: true });
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: server.url, noAsyncTraces: true });
      const rounds: RoundResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const load = loadavg()[0] ?? 0;
        // Alternating: Lucent, then raw, then Lucent's delays, then raw timers, so load swings hit both alike.
        const lucent = await triggerRate(
          await KvReminderStore.open(nc, { bucket: `bench-triggers-${round}` }),
          TRIGGERS,
          server.pid,
        );
        const raw = await rawRates(nc, TRIGGERS, round, server.pid);
        const fire = await fireDelays(await KvReminderStore.open(nc, { bucket: `bench-delay-${round}` }), round);
        const timers = (await rawTimerDelays()).sort((a, b) => a - b);
        const delays = fire.delays.sort((a, b) => a - b);
        const result: RoundResult = {
          load,
          triggers: lucent.rate,
          clientUs: lucent.cpu.client,
          serverUs: lucent.cpu.server,
          scan: raw.scan,
          deletes: raw.deletes,
          job: raw.job,
          jobClientUs: raw.jobCpu.client,
          jobServerUs: raw.jobCpu.server,
          scanClientUs: raw.scanCpu.client,
          scanServerUs: raw.scanCpu.server,
          deleteClientUs: raw.deleteCpu.client,
          deleteServerUs: raw.deleteCpu.server,
          p50: percentile(delays, 50),
          p99: percentile(delays, 99),
          fired: delays.length,
          loopP99: fire.loopP99,
          timerP99: percentile(timers, 99),
        };
        rounds.push(result);
        console.log(`node/reminders: round ${round + 1}/${ROUNDS}: ${JSON.stringify(roundSummary(result))}`);
      }
      const m = (pick: (r: RoundResult) => number) => median(rounds.map(pick));
      const [triggers, job, scan, deletes] = [
        m((r) => r.triggers),
        m((r) => r.job),
        m((r) => r.scan),
        m((r) => r.deletes),
      ];
      const [p50, p99, loopP99, timerP99] = [
        m((r) => r.p50),
        m((r) => r.p99),
        m((r) => r.loopP99),
        m((r) => r.timerP99),
      ];
      const [clientUs, serverUs] = [m((r) => r.clientUs), m((r) => r.serverUs)];
      const [jobClientUs, jobServerUs] = [m((r) => r.jobClientUs), m((r) => r.jobServerUs)];
      const [scanClientUs, scanServerUs] = [m((r) => r.scanClientUs), m((r) => r.scanServerUs)];
      const [deleteClientUs, deleteServerUs] = [m((r) => r.deleteClientUs), m((r) => r.deleteServerUs)];
      // CPU-bound projection for an idle machine of this size: the node is one thread, nats-server another core.
      const projected = 1e6 / Math.max(clientUs, serverUs);
      const jobProjected = 1e6 / Math.max(jobClientUs, jobServerUs);
      // The floor of a scan followed by deletes of everything scanned, if neither overlapped the other.
      const serialFloor = 1 / (1 / scan + 1 / deletes);
      const bounded = await heapAfterScan(10_000);
      const unbounded = await heapAfterScan(PENDING + 1);
      const delivery = await reminderDelivery(DELIVERED, ROUNDS);
      const loads = rounds.map((r) => r.load.toFixed(1)).join(', ');
      const lines = [
        `triggers (median of ${ROUNDS}): ${TRIGGERS} due reminders fired and acked at ${triggers.toFixed(0)}/s; ` +
          `raw in the same rounds: nats.js watch + kv.delete ${job.toFixed(0)}/s, KV watch scan alone ` +
          `${scan.toFixed(0)}/s, pipelined message deletes alone ${deletes.toFixed(0)}/s ` +
          `(scan then delete, one after the other: ${serialFloor.toFixed(0)}/s) — goal ≥ 20 000/s`,
        `triggers, CPU per trigger (median): node ${clientUs.toFixed(0)} µs + nats-server ${serverUs.toFixed(0)} µs ` +
          `(raw nats.js job: ${jobClientUs.toFixed(0)} + ${jobServerUs.toFixed(0)} µs); on 2 idle cores that bounds ` +
          `the rate at ${projected.toFixed(0)}/s (raw job ${jobProjected.toFixed(0)}/s); the halves alone: scan ` +
          `${scanClientUs.toFixed(0)} + ${scanServerUs.toFixed(0)} µs, message delete ${deleteClientUs.toFixed(0)} + ` +
          `${deleteServerUs.toFixed(0)} µs`,
        `fire delay at ${RATE_PER_S}/s over ${RATE_SECONDS} s (median of ${ROUNDS}): p50 ${p50} ms, p99 ${p99} ms; ` +
          `raw setTimeout p99 ${timerP99} ms, event-loop delay p99 ${loopP99.toFixed(0)} ms meanwhile — goal p99 ≤ 100 ms`,
        `memory, ${PENDING} pending: heap +${(bounded.heapBytes / 1e6).toFixed(1)} MB with the default window ` +
          `(${bounded.inWindow} in memory; RSS ${(bounded.rssBytes / 1e6).toFixed(0)} MB), ` +
          `+${(unbounded.heapBytes / 1e6).toFixed(1)} MB keeping all (${unbounded.inWindow} in memory) — goal bounded`,
        `end to end (median of ${ROUNDS}): ${DELIVERED} reminders delivered by a lucent-node process to durable ` +
          `counters (1 000 actors; each delivery an ask answered once the actor's state is stored) at ` +
          `${delivery.triggers.toFixed(0)}/s, node CPU ${delivery.nodeUsPerTrigger.toFixed(0)} µs each; the same ` +
          `number of direct asks to those actors ${delivery.asks.toFixed(0)}/s, node CPU ` +
          `${delivery.nodeUsPerAsk.toFixed(0)} µs each (the actors' own ceiling); writes took ` +
          `${delivery.rounds.map((r) => (r.writeMs / 1000).toFixed(1)).join(', ')} s of the 6 s before the reminders were due`,
        `machine load (1-min average) at the start of each round: ${loads} on ${cpus().length} cores`,
      ];
      const measurements: Measurement[] = [
        { name: 'reminder triggers (scan + deliver + ack)', value: triggers, unit: 'ops/s' },
        { name: 'raw: nats.js KV watch + conditional kv.delete', value: job, unit: 'ops/s' },
        { name: 'raw: KV watch scan alone', value: scan, unit: 'ops/s' },
        { name: 'triggers, CPU-bound on 2 idle cores (projected)', value: projected, unit: 'ops/s' },
        { name: 'raw job, CPU-bound on 2 idle cores (projected)', value: jobProjected, unit: 'ops/s' },
        { name: 'raw: pipelined message deletes alone', value: deletes, unit: 'ops/s' },
        { name: `raw setTimeout lateness p99 at ${RATE_PER_S}/s`, value: timerP99 * 1000, unit: 'µs' },
        {
          name: `fire delay p50 at ${RATE_PER_S}/s`,
          value: p50 * 1000,
          unit: 'µs',
          samples: rounds.reduce((sum, r) => sum + r.fired, 0),
        },
        {
          name: `fire delay p99 at ${RATE_PER_S}/s`,
          value: p99 * 1000,
          unit: 'µs',
          samples: rounds.reduce((sum, r) => sum + r.fired, 0),
        },
        { name: `heap with ${PENDING} pending, window 10k`, value: bounded.heapBytes, unit: 'bytes' },
        { name: `heap with ${PENDING} pending, all in memory`, value: unbounded.heapBytes, unit: 'bytes' },
        { name: `RSS with ${PENDING} pending, window 10k`, value: bounded.rssBytes, unit: 'bytes' },
        { name: 'end to end: reminders delivered to durable actors', value: delivery.triggers, unit: 'ops/s' },
        { name: 'end to end raw: direct asks to the same actors', value: delivery.asks, unit: 'ops/s' },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'triggers / raw nats.js watch + kv.delete',
            of: measurements[0]?.name ?? '',
            to: measurements[1]?.name ?? '',
          },
          {
            name: 'triggers / raw KV watch scan alone',
            of: measurements[0]?.name ?? '',
            to: measurements[2]?.name ?? '',
          },
          {
            name: 'end to end: reminders delivered / direct asks',
            of: 'end to end: reminders delivered to durable actors',
            to: 'end to end raw: direct asks to the same actors',
          },
        ],
        targets: [
          {
            name: 'triggers ≥ 20k/s (Dapr 15.5k/s)',
            measurement: measurements[0]?.name ?? '',
            op: '>=',
            value: 20_000,
          },
          {
            name: 'fire delay p99 ≤ 100 ms at 1k/s',
            measurement: measurements[8]?.name ?? '',
            op: '<=',
            value: 100_000,
          },
        ],
        notes: [
          ...lines,
          'Triggers: delivery is a no-op, so that rate is the scheduler and the store; the end-to-end line is the same ' +
            'path into real actors, bounded by their asks and state writes.',
          'The 1M pending reminders come from a generating store (see the scenario doc); the heap is the node’s own.',
        ],
      };
    } finally {
      await nc?.close();
      await server.stop();
    }
  },
};
