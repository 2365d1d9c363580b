/**
 * `node/reminders`: the durable reminder scheduler of a node (`ReminderScheduler`) on a real nats-server with
 * JetStream (the reminder KV bucket), three numbers from issue 17:
 *
 * 1. Triggers/s: N reminders all due, one node owning every partition; the time from taking ownership (scan
 *    included) until each was delivered and acknowledged (acked = a conditional KV delete). The delivery is a
 *    no-op here, so this is the scheduler and store's rate, not an actor's. Raw baseline: the same number of
 *    conditional KV deletes pipelined from this process (one per trigger, the ack, is the floor).
 *    Goal ≥ 20 000/s (Dapr's scheduler reports 15 500/s).
 * 2. Fire delay at 1 000 reminders/s: reminders due at a steady 1 000/s for 3 s; delay = delivery start − due
 *    time (wall clock). Goal p99 ≤ 100 ms.
 * 3. Memory with 1 000 000 pending reminders on one node: the heap the scheduler holds after scanning 1M pending
 *    reminders (far in the future) with its default window (10 000), against an unbounded window (what keeping
 *    them all would cost). The 1M records come from a store that generates them during the scan instead of
 *    nats-server (writing 1M KV entries takes minutes on this machine); the scheduler cannot tell the difference
 *    and the store holds none of them, so the heap measured is the node's own.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '@lucent/core/internal';
import {
  KvReminderStore,
  type PartitionListener,
  type PartitionWatch,
  ReminderScheduler,
  type ReminderStore,
  type StoredReminder,
  startNatsServer,
} from '@lucent/node/internal';
import { connect, type NatsConnection } from 'nats';
import type { Measurement, Scenario } from '../scenario.js';

const TRIGGERS = Number(process.env.REMINDER_TRIGGERS ?? 20_000);
const RATE_PER_S = 1_000;
const RATE_SECONDS = 3;
const PENDING = Number(process.env.REMINDER_PENDING ?? 1_000_000);
const PARTITIONS = 16;
const ALL = Array.from({ length: PARTITIONS }, (_, i) => i);

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

/** Triggers/s of the scheduler over `count` due reminders in KV. */
async function triggerRate(store: ReminderStore, count: number): Promise<number> {
  await putAll(store, count, () => Date.now(), 't-');
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
  const seconds = (performance.now() - started) / 1000;
  scheduler?.stop();
  return count / seconds;
}

/**
 * The raw floor: `count` conditional KV deletes (`kv.delete(key, { previousSeq })`, what the scheduler's ack is),
 * pipelined 1 024 at a time like the scheduler's deliveries here.
 */
async function rawDeleteRate(nc: NatsConnection, count: number): Promise<number> {
  const kv = await nc.jetstream().views.kv('bench-raw-deletes', { history: 1 });
  const sequences: number[] = [];
  for (let i = 0; i < count; i += 2_000) {
    const n = Math.min(2_000, count - i);
    sequences.push(
      ...(await Promise.all(Array.from({ length: n }, (_, j) => kv.put(`k${i + j}`, new Uint8Array(40))))),
    );
  }
  const started = performance.now();
  for (let i = 0; i < sequences.length; i += 1_024) {
    const batch = sequences.slice(i, i + 1_024);
    await Promise.all(batch.map((seq, j) => kv.delete(`k${i + j}`, { previousSeq: seq })));
  }
  return count / ((performance.now() - started) / 1000);
}

/** Fire delays (ms) of reminders due at a steady `RATE_PER_S`. */
async function fireDelays(store: ReminderStore): Promise<number[]> {
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
  const first = Date.now() + 5_000;
  await putAll(store, count, (i) => first + Math.floor((i * 1000) / RATE_PER_S), 'd-');
  const deadline = Date.now() + 60_000;
  while (delays.length < count && Date.now() < deadline) await sleep(100);
  scheduler.stop();
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
      const triggers = await triggerRate(await KvReminderStore.open(nc, { bucket: 'bench-triggers' }), TRIGGERS);
      const raw = await rawDeleteRate(nc, TRIGGERS);
      const delays = (await fireDelays(await KvReminderStore.open(nc, { bucket: 'bench-delay' }))).sort(
        (a, b) => a - b,
      );
      const bounded = await heapAfterScan(10_000);
      const unbounded = await heapAfterScan(PENDING + 1);
      const p50 = percentile(delays, 50);
      const p99 = percentile(delays, 99);
      const lines = [
        `triggers: ${TRIGGERS} due reminders fired and acked at ${triggers.toFixed(0)}/s (raw conditional KV deletes ${raw.toFixed(0)}/s)`,
        `fire delay at ${RATE_PER_S}/s over ${RATE_SECONDS} s: p50 ${p50} ms, p99 ${p99} ms, max ${delays.at(-1)} ms (${delays.length} fired)`,
        `memory, ${PENDING} pending: heap +${(bounded.heapBytes / 1e6).toFixed(1)} MB with the default window ` +
          `(${bounded.inWindow} in memory; RSS ${(bounded.rssBytes / 1e6).toFixed(0)} MB), ` +
          `+${(unbounded.heapBytes / 1e6).toFixed(1)} MB keeping all (${unbounded.inWindow} in memory)`,
      ];
      for (const line of lines) console.log(`node/reminders: ${line}`);
      const measurements: Measurement[] = [
        { name: 'reminder triggers (scan + deliver + ack)', value: triggers, unit: 'ops/s' },
        { name: 'raw conditional KV deletes', value: raw, unit: 'ops/s' },
        { name: `fire delay p50 at ${RATE_PER_S}/s`, value: p50 * 1000, unit: 'µs', samples: delays.length },
        { name: `fire delay p99 at ${RATE_PER_S}/s`, value: p99 * 1000, unit: 'µs', samples: delays.length },
        { name: `heap with ${PENDING} pending, window 10k`, value: bounded.heapBytes, unit: 'bytes' },
        { name: `heap with ${PENDING} pending, all in memory`, value: unbounded.heapBytes, unit: 'bytes' },
        { name: `RSS with ${PENDING} pending, window 10k`, value: bounded.rssBytes, unit: 'bytes' },
      ];
      return {
        measurements,
        ratios: [
          {
            name: 'triggers / raw conditional KV deletes',
            of: measurements[0]?.name ?? '',
            to: measurements[1]?.name ?? '',
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
            measurement: measurements[3]?.name ?? '',
            op: '<=',
            value: 100_000,
          },
        ],
        notes: [
          ...lines,
          'Delivery is a no-op: the rates are the scheduler and the KV store, not actors (an actor delivery adds an ask).',
          'The 1M pending reminders come from a generating store (see the scenario doc); the heap is the node’s own.',
        ],
      };
    } finally {
      await nc?.close();
      await server.stop();
    }
  },
};
